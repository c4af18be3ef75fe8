"""WARC 1.1, the archive's source of truth: records, writing, crash recovery, reading, WACZ.

:mod:`.records` is the model, :mod:`.writer` writes one gzip member per record, :mod:`.recovery`
closes a file a crash left open, :mod:`.reader` is the one reader everything uses (by offset, file
by file, past damage), and :mod:`.wacz` packs cited records into a WACZ evidence bundle.
"""
