"""The warehouse's exceptions, in a module of their own.

Every other warehouse module raises them (schema, snapshots, loading, queries), so they live
below all of them: importing them never pulls in DuckDB work or creates an import cycle.
"""

from __future__ import annotations


class WarehouseError(Exception):
    """The warehouse cannot do what was asked (no snapshot yet, bad SQL file ...)."""


class WarehouseBusy(WarehouseError):
    """Another load holds the warehouse's writer lock."""
