"""Herald SMSC simulator: an SMPP 3.4 server plus an HTTP control API, for tests and demos."""

__version__ = "0.1.0"
