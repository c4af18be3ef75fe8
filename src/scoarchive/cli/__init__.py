"""The command line (``scoarchive``): thin commands over the library, one-line errors."""
