"""ONVIF cameras: the client wrapper, the per-channel device cache, control commands,
camera events (PullPoint) and WS-Discovery. See docs/design/onvif.md."""
