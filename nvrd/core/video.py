"""Video naming shared by the API (pure)."""

from __future__ import annotations


def resolution_label(height: int) -> str:
    """The guide's resolution name for a frame height (``""`` when unknown)."""
    if height <= 0:
        return ""
    for least, label in (
        (2160, "4K UHD"),
        (1440, "1440p QHD"),
        (1080, "1080p FHD"),
        (720, "720p HD"),
        (480, "480p SD"),
    ):
        if height >= least:
            return label
    return f"{height}p"
