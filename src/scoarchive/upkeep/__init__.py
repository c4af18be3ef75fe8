"""Upkeep: keeping an archive trustworthy over years.

Fixity (:mod:`.verify`: every record's digests, the warehouse against the files, files that
vanished) and link rot and drift (:mod:`.watch`: is each archived page still where it was, and
still the same?).
"""
