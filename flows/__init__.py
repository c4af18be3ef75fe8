"""Prefect flows that run scoarchive on a schedule: crawl and load, verify (fixity), watch (link rot).

Each flow is a thin composition of library calls (``scoarchive.capture``, ``scoarchive.warehouse``,
``scoarchive.verify``, ``scoarchive.watch``, ``scoarchive.ops``) with retries, artifacts and
logging added; ``deployments/prefect.yaml`` schedules them.
"""
