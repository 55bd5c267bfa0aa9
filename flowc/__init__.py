"""flowc: declarative IVR call flows, compiled, tested offline, served on FreeSWITCH."""

__version__ = "0.1.0"
