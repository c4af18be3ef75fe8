"""The documents section: official documents, each a page with a metadata table and a PDF.

As on the real site: the listing ``/documents/?offset=N`` (10 a page) links each document page
with ``class="list-item-document__link"``; the page ``/YYYYMMDD/ID.html`` shares the article
address pattern, and its PDF lives under the posting date in hex (``/images/07e8/0c/17/ID.pdf``
is 2024-12-23). Document IDs are drawn at random: they do not follow the dates.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from scoarchive.replica import prose
from scoarchive.replica.model import HOSTS, LANGUAGE, PAGE_SIZE, DocumentTruth, ReplicaConfig, listing_path

DOCUMENT_IDS = (1_000_000, 2_000_000)


def pdf_path(day: date, doc_id: int) -> str:
    """``/images/{year}/{month}/{day}/{id}.pdf`` with the date in hex, as the real site stores it."""
    return f"/images/{day.year:04x}/{day.month:02x}/{day.day:02x}/{doc_id}.pdf"


def build_documents(config: ReplicaConfig, used_ids: set[int]) -> tuple[list[DocumentTruth], dict[int, str]]:
    """Documents are parallel across hosts (own ids); PDFs carry the English title as text.

    Their ids join ``used_ids`` so that no article takes one. Returns the documents (hosts in
    order, newest first) and each one's English title.
    """
    rng = random.Random(f"{config.seed}:documents")
    start, span = date(2019, 3, 1), (date(2024, 11, 30) - date(2019, 3, 1)).days
    docs: list[DocumentTruth] = []
    titles_en: dict[int, str] = {}
    plans = []
    for j in range(config.documents_per_host):
        day = start + timedelta(days=int((j + rng.random()) * span / config.documents_per_host))
        plans.append((day, rng.randrange(4), rng.randrange(3), rng.randrange(10)))
    for host in HOSTS:
        lang = LANGUAGE[host]
        for n, (day, kind, body, city) in enumerate(sorted(plans, reverse=True)):
            doc_id = rng.randrange(*DOCUMENT_IDS)
            while doc_id in used_ids:
                doc_id += 1
            used_ids.add(doc_id)
            listing = listing_path("/documents/", n // PAGE_SIZE * PAGE_SIZE)
            docs.append(
                DocumentTruth(
                    host=host,
                    doc_id=doc_id,
                    url=f"http://{host}/{day:%Y%m%d}/{doc_id}.html",
                    title=prose.render_doc_title(kind, body, city, lang),
                    pdf_url=f"http://{host}{pdf_path(day, doc_id)}",
                    published=day,
                    language=lang,
                    listing_url=f"http://{host}{listing}",
                    fields=prose.document_fields(kind, body, day, lang),
                )
            )
            titles_en[doc_id] = prose.render_doc_title(kind, body, city, "en")
    return docs, titles_en
