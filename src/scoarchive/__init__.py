"""scoarchive: preserve the SCO's news pages and resolve citations to the preserved copies."""

__version__ = "0.1.0"
