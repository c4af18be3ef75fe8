"""Prefect flows that run scoarchive on a schedule: crawl and load, verify (fixity), watch (link rot).

Each flow is a thin composition of library calls (``scoarchive.capture``, ``scoarchive.warehouse``,
``scoarchive.verify``, ``scoarchive.watch``, ``scoarchive.ops``, ``scoarchive.limits``,
``scoarchive.reports``) with retries, artifacts and logging added; ``deployments/prefect.yaml``
schedules them.
"""

from typing import Any

from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from scoarchive import ops

# Task options where a later attempt can succeed (a host or the API down, the warehouse busy);
# ops.retry_transient lets bad input fail at once.
RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=30),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": ops.retry_transient,
    "cache_policy": NO_CACHE,
}
