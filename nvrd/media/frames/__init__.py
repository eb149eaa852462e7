"""Decoded frames for analytics: one frame source per channel (docs/design/frames.md)."""
