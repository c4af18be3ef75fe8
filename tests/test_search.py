"""Full-text search finds what analysts type: hyphenated and compound terms, phrases, all languages.

The archive here is a few article pages written to a WARC file and loaded by the real loader, so
the text goes through extraction and the same tokenisation as a crawl's.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import run_cli

from scoarchive.core.settings import DataDir
from scoarchive.warc.records import HttpExchange
from scoarchive.warc.writer import WarcWriter
from scoarchive.warehouse import load, search
from scoarchive.warehouse.fulltext import Query, index_text

PAGES = {
    "http://eng.sectsco.org/20210607/765371.html": (
        "en",
        "Videoconference with Alibaba Group",
        "The discussion covered cooperation in developing e-commerce and the digital economy. "
        "Measures against COVID-19 were discussed as well.",
    ),
    "http://eng.sectsco.org/20210615/765514.html": (
        "en",
        "SCO celebrates its 20th anniversary",
        "The organisation grew out of the Shanghai Five mechanism. Its economy of scale is digital.",
    ),
    "http://rus.sectsco.org/20210616/765600.html": (
        "ru",
        "Заседание по вопросам здравоохранения",
        "Стороны обсудили меры по борьбе с COVID-19 и развитие электронной торговли.",
    ),
    "http://chn.sectsco.org/20210617/765700.html": (
        "zh",
        "上合组织卫生部长会议",
        "与会各方讨论了应对COVID-19疫情的合作以及数字经济的发展。",
    ),
}


def _page(language: str, title: str, text: str) -> bytes:
    return (
        f'<!DOCTYPE html><html lang="{language}"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><main><article><h1>{title}</h1>"
        f"<p>{text}</p><p>{text}</p><p>{text}</p></article></main></body></html>"
    ).encode()


def _exchange(url: str, body: bytes) -> HttpExchange:
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
    digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
    block = "sha1:" + base64.b32encode(hashlib.sha1(head.encode() + body).digest()).decode()
    return HttpExchange(
        url=url,
        date=datetime.now(UTC),
        request_head=b"GET / HTTP/1.1\r\n\r\n",
        response_head=head.encode(),
        body=io.BytesIO(body),
        body_length=len(body),
        payload_digest=digest,
        block_digest=block,
        status=200,
    )


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = DataDir(tmp_path_factory.mktemp("search"))
    data.create()
    with WarcWriter(data.warcs, "scoarchive-search", {"isPartOf": "search-test"}) as writer:
        for url, page in PAGES.items():
            writer.write_response(_exchange(url, _page(*page)))
    load(data.root)
    return data.root


def languages(archive: Path, words: str) -> list[str]:
    return sorted(hit.language or "" for hit in search(archive, words))


def test_hyphenated_terms_match_as_written(archive: Path) -> None:
    assert languages(archive, "e-commerce") == ["en"]
    assert languages(archive, "e-commerce digital economy") == ["en"]
    assert languages(archive, "commerce") == ["en"]  # a part still matches
    assert languages(archive, "ecommerce") == ["en"]  # and the word written without its hyphen


def test_a_term_with_digits_is_found_in_every_language_that_uses_it(archive: Path) -> None:
    assert languages(archive, "COVID-19") == ["en", "ru", "zh"]
    assert languages(archive, "covid-19") == ["en", "ru", "zh"]


def test_quoted_phrases_must_appear_in_order(archive: Path) -> None:
    assert [hit.title for hit in search(archive, '"Shanghai Five"')] == [
        "SCO celebrates its 20th anniversary"
    ]
    assert languages(archive, "Shanghai Five") == ["en"]  # both words, anywhere
    # no word is dropped as a stopword (every term must match, so a dropped one matched nothing)
    assert "Videoconference with Alibaba Group" in [
        hit.title for hit in search(archive, "the digital economy")
    ]
    assert languages(archive, '"digital economy"') == ["en"]
    assert languages(archive, '"economy digital"') == []  # the words, but not as a phrase
    assert languages(archive, "„digital economy“") == ["en"]  # German quote marks are quotes too


def test_chinese_words_match_inside_runs(archive: Path) -> None:
    assert languages(archive, "数字经济") == ["zh"]
    assert languages(archive, "卫生") == ["zh"]


def test_query_and_index_are_tokenised_alike() -> None:
    assert Query.parse("e-commerce").terms == "ecommerce"
    assert Query.parse(['"Shanghai Five"', "COVID-19"]) == Query("Shanghai Five COVID19", ("Shanghai Five",))
    assert "ecommerce" in index_text("developing e-commerce")
    with pytest.raises(ValueError, match="nothing to search for"):
        Query.parse('"  "')


def test_the_cli_searches_hyphenated_terms(archive: Path) -> None:
    completed = run_cli(
        "search", "e-commerce", "digital", "economy", "--data", str(archive), "--format", "csv"
    )
    assert completed.returncode == 0, completed.stderr
    assert "Alibaba" in completed.stdout


def test_sql_prints_every_duckdb_type_as_json_and_csv(archive: Path) -> None:
    sql = (
        "SELECT INTERVAL 90 SECONDS AS duration, uuid() IS NOT NULL AS ok, [1, 2] AS list,"
        " {'day': DATE '2021-06-15'} AS struct, 1.5::DECIMAL(4, 2) AS amount, TIME '10:00' AS at"
    )
    completed = run_cli("sql", sql, "--data", str(archive), "--format", "json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout) == [
        {
            "duration": 90.0,
            "ok": True,
            "list": [1, 2],
            "struct": {"day": "2021-06-15"},
            "amount": "1.50",
            "at": "10:00:00",
        }
    ]
    crawl_history = run_cli("sql", "--query", "crawl_history", "--data", str(archive), "--format", "csv")
    assert crawl_history.returncode == 0 and "Traceback" not in crawl_history.stderr
