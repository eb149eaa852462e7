"""Object detection from the cameras' own video: people, vehicles (with their type and
colour), bags and faces in a picture, and their tracks across frames (one object id per
track, a face linked to the person it belongs to)."""
