"""Citations to archived copies: a cited URL and a date in, the capture that answers them out.

- :mod:`.target`: a cited URL as the archive looks it up (canonical form, SURT key, article).
- :mod:`.model`: what a resolution answers with (:class:`Capture`, :class:`Resolution`, :class:`Match`).
- :mod:`.index`: the SQLite index the lookups run against, and how a capture is read from it.
- :mod:`.sync`: keeping that index in step with the warehouse's snapshots, load by load.
- :mod:`.resolver`: the algorithm (:class:`Resolver`, :func:`resolve`).
"""

from scoarchive.resolve.model import Capture, Grade, Match, Resolution, StoredRecord
from scoarchive.resolve.resolver import Resolver, resolve, update_index
from scoarchive.resolve.sync import Change, Update

__all__ = [
    "Capture",
    "Change",
    "Grade",
    "Match",
    "Resolution",
    "Resolver",
    "StoredRecord",
    "Update",
    "resolve",
    "update_index",
]
