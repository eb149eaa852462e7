"""Licence-plate recognition: frames of a zone in a worker process, OCR, format repair,
tracking of one passage per vehicle; the server side records and publishes what it reads."""
