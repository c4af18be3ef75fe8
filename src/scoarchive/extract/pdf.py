"""PDF documents: their metadata, page count and, where the text layer allows, their text (pypdf)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from scoarchive.extract.text import NotExtractable, _clean, content_digest, count_words


@dataclass(frozen=True)
class PdfDocument:
    """A PDF's metadata and, where its text layer allows, its text."""

    url: str
    title: str | None
    authors: tuple[str, ...]
    created: date | None
    pages: int
    text: str
    word_count: int
    content_sha256: str


def extract_pdf(data: bytes, url: str, *, max_pages: int = 500) -> PdfDocument:
    """A PDF's Info metadata and text layer (first ``max_pages`` pages).

    Raises NotExtractable when pypdf cannot read the file (truncated, encrypted, not a PDF).
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise NotExtractable("encrypted PDF")
        info = reader.metadata
        pages = len(reader.pages)
        texts = [page.extract_text() or "" for page in reader.pages[:max_pages]]
    except NotExtractable:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError) as exc:
        raise NotExtractable(f"unreadable PDF: {exc}") from None
    title = _clean(str(info.title)) if info is not None and info.title else None
    author = str(info.author) if info is not None and info.author else ""
    created = None
    if info is not None:
        try:
            created = info.creation_date.date() if info.creation_date else None
        except (ValueError, TypeError):
            created = None
    text = _clean("\n".join(t.strip() for t in texts if t.strip()))
    return PdfDocument(
        url=url,
        title=title,
        authors=tuple(a.strip() for a in author.split(";") if a.strip()),
        created=created,
        pages=pages,
        text=text,
        word_count=count_words(text),
        content_sha256=content_digest(title, None, text),
    )
