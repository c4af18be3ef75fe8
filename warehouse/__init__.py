"""The warehouse's SQL: numbered schema migrations and the analysts' example queries.

Installed as ``scoarchive.warehouse.sql`` (see ``pyproject.toml``), so the code reads these files
through ``importlib.resources`` from a wheel or a checkout alike; a package only for that.
"""
