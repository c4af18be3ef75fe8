"""Full-text search: one tokenisation for indexing and for querying, one BM25 index per language.

DuckDB's fts extension (loaded from its wheel, no network) tokenises on its own, and what it
does to a query must be what was done to the text, or terms silently never match. Its tokenizer
splits ``e-commerce`` and ``COVID-19`` into parts and drops the one-letter and numeric ones, so
neither term could ever be found. So the text is prepared here, the same way for both sides:

- a hyphenated compound (``e-commerce``, ``COVID-19``, ``Шанхайская-пятёрка``) is indexed as
  its parts and as one joined word (``ecommerce``, ``covid19``); a query term with a hyphen asks
  for the joined word, so ``e-commerce`` finds exactly the pages that write it (with or without
  the hyphen), and ``commerce`` still finds them too;
- Chinese has no spaces: runs of CJK characters become overlapping bigrams, on both sides;
- letters and digits of every script are kept (the extension's default drops digits).

Each language gets its own table and index, stemmed by its own Snowball stemmer, and no word is
dropped as a stopword: every term of a query must match (conjunctive), so a stopword list would
make "Shanghai Five" or "the digital economy" match nothing; BM25's weighting already makes
common words count for little. A query runs against every language's index, so the same terms
find matches in all three languages where they appear. A quoted phrase (``"Shanghai Five"``) must appear as
written (words in order, any spacing, any case) in the title or text of a hit.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from scoarchive.warehouse.schema import SEARCH_COLUMNS, load_fts

# Snowball stemmers of DuckDB's fts extension, by ISO 639-1 code; other languages: none.
STEMMERS = {
    "ar": "arabic", "da": "danish", "de": "german", "en": "english", "es": "spanish",
    "fi": "finnish", "fr": "french", "hu": "hungarian", "it": "italian", "nl": "dutch",
    "no": "norwegian", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish",
    "tr": "turkish",
}  # fmt: skip
# What the extension treats as separators: anything but letters and digits (RE2 syntax).
IGNORE = r"(\.|[^\p{L}\p{N}])+"
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_COMPOUND = re.compile(r"\w+(?:[-‐‑‒–]\w+)+")
_HYPHENS = re.compile(r"[-‐‑‒–]")
_PHRASE = re.compile(r'"([^"]+)"|“([^”]+)”|„([^“”]+)[“”]|«([^»]+)»')
TABLE_PREFIX = "search_"


@dataclass(frozen=True)
class SearchHit:
    article_key: str
    url: str
    title: str | None
    language: str | None
    published: date | None
    score: float


def _bigrams(match: re.Match[str]) -> str:
    run = match.group(0)
    if len(run) == 1:
        return f" {run} "
    return " " + " ".join(run[i : i + 2] for i in range(len(run) - 1)) + " "


def index_text(text: str) -> str:
    """Text as it is indexed: compounds also joined, CJK runs as bigrams."""
    text = unicodedata.normalize("NFKC", text)
    joined = " ".join(_HYPHENS.sub("", match.group(0)) for match in _COMPOUND.finditer(text))
    return _CJK_RUN.sub(_bigrams, f"{text}\n{joined}")


@dataclass(frozen=True)
class Query:
    """A search as typed: the terms every hit must contain, and the phrases it must contain as written."""

    terms: str
    phrases: tuple[str, ...]

    @classmethod
    def parse(cls, words: str | Sequence[str]) -> Query:
        text = unicodedata.normalize("NFKC", words if isinstance(words, str) else " ".join(words))
        phrases = tuple(
            " ".join(next(group for group in match.groups() if group).split())
            for match in _PHRASE.finditer(text)
        )
        unquoted = _PHRASE.sub(lambda match: " " + next(g for g in match.groups() if g) + " ", text)
        terms = _COMPOUND.sub(lambda match: _HYPHENS.sub("", match.group(0)), unquoted)
        terms = _CJK_RUN.sub(_bigrams, terms).replace('"', " ")
        if not terms.split():
            raise ValueError("nothing to search for")
        return cls(" ".join(terms.split()), tuple(phrase for phrase in phrases if phrase))

    def phrase_patterns(self) -> list[str]:
        """Case-insensitive regular expressions (RE2) of the phrases, any whitespace between words."""
        return ["(?i)" + r"\s+".join(re.escape(word) for word in phrase.split()) for phrase in self.phrases]


def build_indexes(con: duckdb.DuckDBPyConnection, rows: Sequence[dict[str, Any]], insert: Any) -> None:
    """Replace the per-language search tables and their BM25 indexes with ones over ``rows``.

    ``rows`` are latest article versions (article_key, url, title, language, published, text);
    ``insert(con, table, columns, rows)`` bulk-loads a table (the loader's own bulk insert).
    """
    load_fts(con)
    for (table,) in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?)", [TABLE_PREFIX]
    ).fetchall():
        with contextlib.suppress(duckdb.Error):
            con.execute(f"PRAGMA drop_fts_index('{table}')")
        con.execute(f"DROP TABLE {table}")
    by_language: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        language = row["language"] or ""
        if re.fullmatch(r"[a-z]{2}", language):
            body = index_text(f"{row['title'] or ''}\n{row['text']}")
            by_language.setdefault(language, []).append({**row, "body": body})
    for language, docs in sorted(by_language.items()):
        table = f"{TABLE_PREFIX}{language}"
        con.execute(f"CREATE TABLE {table} ({', '.join(f'{n} {t}' for n, t in SEARCH_COLUMNS.items())})")
        insert(con, table, SEARCH_COLUMNS, [{name: doc[name] for name in SEARCH_COLUMNS} for doc in docs])
        stemmer = STEMMERS.get(language, "none")
        con.execute(
            f"PRAGMA create_fts_index('{table}', 'article_key', 'body', stemmer = '{stemmer}', "
            f"stopwords = 'none', ignore = '{IGNORE}', overwrite = 1)"
        )


def search(con: duckdb.DuckDBPyConnection, query: Query, limit: int) -> list[SearchHit]:
    """Latest article versions matching every term (and phrase) of ``query``, best BM25 score first."""
    tables = [
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE starts_with(table_name, ?) ORDER BY 1",
            [TABLE_PREFIX],
        ).fetchall()
    ]
    if not tables:
        return []
    parts = [
        f"SELECT article_key, url, title, language, published, "
        f"fts_main_{table}.match_bm25(article_key, $q, conjunctive := 1) AS score FROM {table}"
        for table in tables
    ]
    phrases = query.phrase_patterns()
    where = "".join(
        f" AND regexp_matches(coalesce(a.title, '') || ' ' || a.text, $p{n})" for n in range(len(phrases))
    )
    sql = (
        f"SELECT h.* FROM ({' UNION ALL '.join(parts)}) AS h"
        + (" JOIN articles_latest AS a USING (article_key)" if phrases else "")
        + f" WHERE h.score IS NOT NULL{where} ORDER BY h.score DESC, h.article_key LIMIT $limit"
    )
    parameters: dict[str, Any] = {"q": query.terms, "limit": limit}
    parameters.update({f"p{n}": pattern for n, pattern in enumerate(phrases)})
    return [SearchHit(*row) for row in con.execute(sql, parameters).fetchall()]
