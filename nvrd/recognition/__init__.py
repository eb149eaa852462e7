"""Recognition from the cameras' own video: licence plates (``lpr``)."""
