"""Deterministic loopback replica of the SCO news sites, for tests, benchmarks and the demo.

``Site`` is the pure-data model (pages, faults, versions, ground truth); ``ReplicaServer`` serves
it over HTTP on one loopback port for all three hosts, which crawlers reach via ``--connect-to``.
"""

from scoarchive.replica.server import ReplicaServer, ReplicaStats, RequestRecord, serve
from scoarchive.replica.site import (
    FAULT_HOST,
    FAULT_PATHS,
    HOSTS,
    PARTNER_URL,
    REDIRECTS,
    ArticleTruth,
    DocumentTruth,
    ReplicaConfig,
    Site,
    SiteChange,
)

__all__ = [
    "FAULT_HOST",
    "FAULT_PATHS",
    "HOSTS",
    "PARTNER_URL",
    "REDIRECTS",
    "ArticleTruth",
    "DocumentTruth",
    "ReplicaConfig",
    "ReplicaServer",
    "ReplicaStats",
    "RequestRecord",
    "Site",
    "SiteChange",
    "serve",
]
