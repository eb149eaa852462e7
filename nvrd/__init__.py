"""nvrd: a network video recorder and video management server speaking TS-API@0.9.20."""

__version__ = "0.1.0"
API_VERSION = "TS-API@0.9.20"
PRODUCT_NAME = "nvrd"
