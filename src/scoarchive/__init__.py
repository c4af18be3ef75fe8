"""scoarchive: preserve the SCO's news pages and resolve citations to the preserved copies.

The names below are the library's public API, one import away::

    import scoarchive

    scoarchive.crawl(scoarchive.CrawlConfig(profile=scoarchive.load_profile("sco"), data_dir=DATA))
    scoarchive.load(DATA)
    scoarchive.Resolver(DATA).resolve("http://eng.sectsco.org/news/20210615/765514.html")

Each is imported from its floor of the package when first used (PEP 562), so ``import
scoarchive`` stays cheap and the floors below never load the floors above: a worker process
that only extracts pages does not import the crawler, DuckDB or the service.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> the module that defines it
_PUBLIC = {
    # core: data directory, profiles, URLs, dates
    "DataDir": "scoarchive.core.settings",
    "Profile": "scoarchive.core.profile",
    "ProfileError": "scoarchive.core.profile",
    "load_profile": "scoarchive.core.profile",
    "ConnectTo": "scoarchive.core.urls",
    "InvalidURL": "scoarchive.core.urls",
    "canonicalize": "scoarchive.core.urls",
    "surt_key": "scoarchive.core.urls",
    "parse_date": "scoarchive.core.dates",
    # capture
    "CrawlConfig": "scoarchive.capture.config",
    "CrawlSummary": "scoarchive.capture.config",
    "CrawlError": "scoarchive.capture.config",
    "crawl": "scoarchive.capture.crawler",
    # extraction
    "extract": "scoarchive.extract.article",
    "Article": "scoarchive.extract.article",
    # warehouse
    "load": "scoarchive.warehouse.loading",
    "reindex": "scoarchive.warehouse.loading",
    "LoadReport": "scoarchive.warehouse.loading",
    "connect": "scoarchive.warehouse.snapshots",
    "search": "scoarchive.warehouse.queries",
    "WarehouseError": "scoarchive.warehouse.errors",
    # citations
    "Resolver": "scoarchive.resolve.resolver",
    "resolve": "scoarchive.resolve.resolver",
    "Resolution": "scoarchive.resolve.model",
    "Capture": "scoarchive.resolve.model",
    "create_app": "scoarchive.service",
    # the briefing check
    "check_briefing": "scoarchive.briefing.check",
    "CheckOptions": "scoarchive.briefing.check",
    "parse_briefing": "scoarchive.briefing.reader",
    "BriefingError": "scoarchive.briefing.model",
    # upkeep
    "verify": "scoarchive.upkeep.verify",
    "watch": "scoarchive.upkeep.watch",
}

__all__ = ["__version__", *sorted(_PUBLIC)]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'scoarchive' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what type checkers and editors see; at run time, __getattr__ above
    from scoarchive.briefing.check import (
        CheckOptions as CheckOptions,
    )
    from scoarchive.briefing.check import (
        check_briefing as check_briefing,
    )
    from scoarchive.briefing.model import (
        BriefingError as BriefingError,
    )
    from scoarchive.briefing.reader import (
        parse_briefing as parse_briefing,
    )
    from scoarchive.capture.config import (
        CrawlConfig as CrawlConfig,
    )
    from scoarchive.capture.config import (
        CrawlError as CrawlError,
    )
    from scoarchive.capture.config import (
        CrawlSummary as CrawlSummary,
    )
    from scoarchive.capture.crawler import (
        crawl as crawl,
    )
    from scoarchive.core.dates import (
        parse_date as parse_date,
    )
    from scoarchive.core.profile import (
        Profile as Profile,
    )
    from scoarchive.core.profile import (
        ProfileError as ProfileError,
    )
    from scoarchive.core.profile import (
        load_profile as load_profile,
    )
    from scoarchive.core.settings import (
        DataDir as DataDir,
    )
    from scoarchive.core.urls import (
        ConnectTo as ConnectTo,
    )
    from scoarchive.core.urls import (
        InvalidURL as InvalidURL,
    )
    from scoarchive.core.urls import (
        canonicalize as canonicalize,
    )
    from scoarchive.core.urls import (
        surt_key as surt_key,
    )
    from scoarchive.extract.article import (
        Article as Article,
    )
    from scoarchive.extract.article import (
        extract as extract,
    )
    from scoarchive.resolve.model import (
        Capture as Capture,
    )
    from scoarchive.resolve.model import (
        Resolution as Resolution,
    )
    from scoarchive.resolve.resolver import (
        Resolver as Resolver,
    )
    from scoarchive.resolve.resolver import (
        resolve as resolve,
    )
    from scoarchive.service import (
        create_app as create_app,
    )
    from scoarchive.upkeep.verify import (
        verify as verify,
    )
    from scoarchive.upkeep.watch import (
        watch as watch,
    )
    from scoarchive.warehouse.errors import (
        WarehouseError as WarehouseError,
    )
    from scoarchive.warehouse.loading import (
        LoadReport as LoadReport,
    )
    from scoarchive.warehouse.loading import (
        load as load,
    )
    from scoarchive.warehouse.loading import (
        reindex as reindex,
    )
    from scoarchive.warehouse.queries import (
        search as search,
    )
    from scoarchive.warehouse.snapshots import (
        connect as connect,
    )
