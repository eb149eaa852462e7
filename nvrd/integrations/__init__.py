"""LPR sources, emergency-call devices and parking lots; events pushed by devices."""
