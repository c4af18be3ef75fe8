"""Deterministic loopback replica of the SCO news sites, for tests, benchmarks and the demo.

``Site`` is the pure-data model (pages, faults, versions, ground truth); ``ReplicaServer`` serves
it over HTTP on one loopback port for all three hosts, which crawlers reach via ``--connect-to``.

Modules, one concept each: :mod:`.vocabulary` (the words, pure data), :mod:`.prose` (text from
language-neutral plans), :mod:`.assets` (generated JPEG, PNG, PDF, large file, gzip bomb),
:mod:`.exchange` (representations, validators, conditional GET), :mod:`.faults`, :mod:`.model`
(config, ground truth, one site version), :mod:`.documents` (the documents section),
:mod:`.history` (building and mutating the site),
:mod:`.pages` (HTML), :mod:`.routes` (request to page), :mod:`.site` (``Site``), :mod:`.server`.
"""

from scoarchive.replica.faults import FAULT_HOST, FAULT_PATHS, PARTNER_URL, REDIRECTS
from scoarchive.replica.model import (
    HOSTS,
    AddressForm,
    ArticleTruth,
    DocumentTruth,
    ReplicaConfig,
    SiteChange,
)
from scoarchive.replica.server import ReplicaServer, ReplicaStats, RequestRecord, serve
from scoarchive.replica.site import Site

__all__ = [
    "FAULT_HOST",
    "FAULT_PATHS",
    "HOSTS",
    "PARTNER_URL",
    "REDIRECTS",
    "AddressForm",
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
