"""dockscap: SCAP content and live checks for DISA's Docker STIG rule DKER-EE-002030."""

__version__ = "0.1.0"
