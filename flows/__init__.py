"""Prefect flows that run scoarchive on a schedule: crawl and load, verify, watch, check briefings.

Each flow is a thin composition of library calls with retries, artifacts and logging added;
``deployments/prefect.yaml`` schedules them. Installed as ``scoarchive.flows`` (see
``pyproject.toml``), so deployments name them by module (``scoarchive.flows.crawl.crawl_flow``)
and run from a wheel as from a checkout.
"""
