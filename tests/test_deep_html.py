"""HTML of any depth: 10,000 nested elements, past libxml2's limit of 256, lose nothing.

The last link (at the deepest point) is discovered and followed, the warehouse holds the page's
whole text, and the browser replay shows all of it.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from hostile import HostileServer

from scoarchive import warehouse
from scoarchive.capture.config import CrawlConfig
from scoarchive.capture.crawler import crawl
from scoarchive.capture.discovery import extract_links
from scoarchive.core.html import MAX_DEPTH, flatten, parse_html
from scoarchive.core.profile import load_profile
from scoarchive.core.urls import ConnectTo
from scoarchive.service import background_server, create_app

DEPTH = 10_000
DEEP_URL = "http://eng.sectsco.org/20240101/999001.html"
LAST_URL = "http://eng.sectsco.org/20240102/999002.html"
ROBOTS = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 23\r\n\r\nUser-agent: *\nAllow: /\n"


def sentence(n: int) -> str:
    return f"Paragraph number {n} of the deeply nested page."


def deep_page(depth: int = DEPTH) -> str:
    nested = "".join(f"<div><p>{sentence(n)}</p>" for n in range(depth))
    return (
        '<!DOCTYPE html><html lang="en"><head><title>Deep page</title></head>'
        "<body><article><h1>Deep page</h1>"
        f'{nested}<a href="/20240102/999002.html">the last link</a>{"</div>" * depth}'
        "<p>After the nesting.</p></article></body></html>"
    )


def http(html: str) -> bytes:
    body = html.encode()
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(
        body
    )
    return head + body


def test_the_tree_keeps_every_element_and_stays_within_the_limit() -> None:
    document = parse_html(deep_page())
    text = document.text_content()
    assert all(sentence(n) in text for n in range(DEPTH)) and "After the nesting." in text
    assert document.xpath("//a/@href") == ["/20240102/999002.html"]
    assert max(len(list(element.iterancestors())) for element in document.iter()) <= MAX_DEPTH + 2
    assert document.get("lang") == "en" and document.findtext(".//title") == "Deep page"


def test_a_shallow_page_parses_as_libxml2_parses_it() -> None:
    html = "<html><body><div><p>one <b>two</b> three</p></div><!-- note --></body></html>"
    assert flatten(html) == html  # nothing past the limit: the markup is untouched
    document = parse_html(html.encode(), comments=True)
    assert document.xpath("string(//p)") == "one two three" and document.xpath("//comment()")


def test_links_and_encoding_of_a_deep_page_given_as_bytes() -> None:
    page = (
        deep_page(400)
        .replace("<head>", '<head><meta charset="windows-1251">')
        .replace("the last link", "последняя ссылка")
    )
    links = extract_links(page.encode("windows-1251"), DEEP_URL)
    assert [link.url for link in links] == [LAST_URL]
    assert "последняя ссылка" in parse_html(page.encode("windows-1251")).text_content()


def test_the_last_link_is_followed_and_the_warehouse_has_the_whole_text(tmp_path: Path) -> None:
    last = "<html><body><article><h1>Last page</h1><p>The end of the chain.</p></article></body></html>"
    replies = {
        "/robots.txt": ROBOTS,
        "/20240101/999001.html": http(deep_page()),
        "/20240102/999002.html": http(last),
    }
    with HostileServer(replies) as server:
        config = CrawlConfig(
            profile=load_profile("sco"),
            data_dir=tmp_path,
            seeds=[DEEP_URL],
            connect_to=[ConnectTo.parse(f"::127.0.0.1:{server.port}")],
            delay=0.0,
            retries=0,
        )
        summary = crawl(config)
    assert "GET /20240102/999002.html HTTP/1.1" in server.seen.requests
    assert summary.failed == []
    warehouse.load(tmp_path)
    with warehouse.connect(tmp_path) as db:
        [(text,)] = db.execute("SELECT text FROM articles WHERE url = ?", [DEEP_URL]).fetchall()
        titles = {row[0] for row in db.execute("SELECT title FROM articles").fetchall()}
    missing = [n for n in range(DEPTH) if sentence(n) not in text]
    assert missing == [] and "After the nesting." in text
    assert titles == {"Deep page", "Last page"}
    with background_server(create_app(tmp_path)) as base:
        raw = httpx.get(f"{base}/web/2024id_/{DEEP_URL}", follow_redirects=True)  # nearest capture
        page = httpx.get(f"{base}/web/2024/{DEEP_URL}", follow_redirects=True)
    assert raw.status_code == page.status_code == 200
    replayed = parse_html(page.text).text_content()
    assert [n for n in range(DEPTH) if sentence(n) not in replayed] == [] and "After the nesting." in replayed
    assert (
        "/web/" in page.text.split("the last link")[0].rsplit("<a", 1)[-1]
    )  # its link points into the archive
