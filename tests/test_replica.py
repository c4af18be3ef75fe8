"""The SCO replica: determinism, encodings, HTTP semantics, faults, versions and ground truth."""

from __future__ import annotations

import dataclasses
import gzip
import http.client
import threading
import time
from collections import deque
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html
import pytest

from scoarchive.replica import (
    FAULT_PATHS,
    HOSTS,
    PARTNER_URL,
    AddressForm,
    ReplicaConfig,
    ReplicaServer,
    Site,
)

ENG, RUS, CHN = HOSTS
SMALL = ReplicaConfig(articles_per_host=12, slow_seconds=0.2, large_file_bytes=300_000, bomb_bytes=3 * 2**20)


def get(
    server: ReplicaServer,
    host: str,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection; header names are lower-cased in the result."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers={"Host": host, **(headers or {})})
        resp = conn.getresponse()
        body = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
    finally:
        conn.close()


@pytest.fixture(scope="module")
def server() -> Iterator[ReplicaServer]:
    with ReplicaServer(Site(SMALL)) as srv:
        yield srv


def sample_paths(site: Site) -> list[tuple[str, str]]:
    paths = [(h, p) for h in HOSTS for p in ("/", "/news/", "/news/?offset=10", "/documents/")]
    paths += [(h, "/robots.txt") for h in HOSTS] + [(ENG, "/css/main.css"), (ENG, "/images/logo.png")]
    for truth in site.articles(kind=None):
        paths.append((truth.host, urlsplit(truth.url).path))
    paths += [(d.host, urlsplit(u).path) for d in site.documents() for u in (d.url, d.pdf_url)]
    paths += [(ENG, "/calendar/2021/06/"), (RUS, "/images/photos/1_1.jpg")]
    return paths


def test_two_sites_give_identical_bytes() -> None:
    a, b = Site(SMALL), Site(SMALL)
    assert a.expected_urls() == b.expected_urls()
    for host, path in sample_paths(a):
        ra, rb = a.response(host, path, {}), b.response(host, path, {})
        assert (ra.status, ra.headers, ra.body) == (rb.status, rb.headers, rb.body), path
    assert a.mutate() == b.mutate()
    assert a.articles(kind=None) == b.articles(kind=None)


def test_different_seed_gives_different_text() -> None:
    assert Site(SMALL).articles(RUS)[0].paragraphs != Site(ReplicaConfig(seed=7)).articles(RUS)[0].paragraphs


def test_encodings_are_declared_only_in_meta(server: ReplicaServer) -> None:
    ru = server.site.articles(RUS)[0]
    status, headers, body = get(server, RUS, urlsplit(ru.url).path)
    assert status == 200
    assert headers["content-type"] == "text/html"
    assert b'<meta charset="windows-1251">' in body
    text = body.decode("cp1251")
    assert ru.title in text and any("а" <= ch <= "я" for ch in text)
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")

    zh = server.site.articles(CHN)[0]
    status, headers, body = get(server, CHN, urlsplit(zh.url).path)
    assert headers["content-type"] == "text/html"
    assert b'<meta charset="gb18030">' in body
    text = body.decode("gb18030")
    assert zh.title in text and zh.paragraphs[0] in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh.paragraphs[0])

    status, headers, body = get(server, ENG, "/")
    assert headers["content-type"] == "text/html; charset=utf-8"
    body.decode("utf-8")


def test_article_page_structure(server: ReplicaServer) -> None:
    truth = server.site.articles(ENG)[3]
    _, _, body = get(server, ENG, urlsplit(truth.url).path)
    doc = lxml.html.fromstring(body)
    assert doc.get("lang") == "en"
    assert doc.findtext(".//title") == f"{truth.title} - SCO"
    assert doc.xpath("//meta[@property='og:title']/@content") == [truth.title]
    assert doc.xpath("//link[@rel='stylesheet']/@href") == ["/css/main.css"]
    assert [p.text_content() for p in doc.xpath("//article/p")] == list(truth.paragraphs)
    stamp = doc.xpath("//article/time/@datetime")[0]
    assert stamp == f"{truth.published.isoformat()}T00:00:00+03:00"
    captions = doc.xpath("//figcaption/text()")
    assert captions and all(any("а" <= ch <= "я" for ch in c) for c in captions)
    assert set(captions) <= set(truth.boilerplate)
    hrefs = doc.xpath("//a/@href")
    assert any(h.startswith("https://twitter.com/intent/tweet?url=") for h in hrefs)
    assert any(h.startswith("https://vk.com/share.php?url=") for h in hrefs)
    assert any(h.startswith("https://www.facebook.com/sharer.php?u=") for h in hrefs)
    assert any(h.startswith("https://t.me/share/url?url=") for h in hrefs)
    assert any(h.startswith("/search/?q=") for h in hrefs)
    assert f"/calendar/{truth.published:%Y/%m}/" in hrefs
    assert "/private/admin.html" in hrefs
    assert {"http://rus.sectsco.org/", "http://chn.sectsco.org/"} <= set(hrefs)
    related = doc.xpath("//aside[@class='related']//a/@href")
    assert len(related) == 3 and any("utm_source=related" in h for h in related)
    page_text = doc.text_content()
    for text in truth.boilerplate:
        assert text in page_text
        assert text not in truth.paragraphs


def test_fixed_briefing_articles(server: ReplicaServer) -> None:
    by_id = {t.article_id: t for t in server.site.articles(ENG)}
    jubilee, alibaba = by_id[765514], by_id[765371]
    assert jubilee.url == "http://eng.sectsco.org/20210615/765514.html"
    assert jubilee.title == "SCO celebrates its 20th anniversary"
    quote = (
        '"By resolutely upholding multilateralism, we contribute to the political settlement of hot '
        "spots, we use the single SCO voice to promote the formation of a new type of international "
        'relations and a community of common destiny for humankind."'
    )
    assert any(quote in p and "Wang Yi" in p for p in jubilee.paragraphs)
    assert len(jubilee.paragraphs) > 3
    _, _, body = get(server, ENG, "/20210615/765514.html")
    assert quote.encode() in body
    assert b'<time datetime="2021-06-15T00:00:00+03:00">' in body

    assert alibaba.url == "http://eng.sectsco.org/20210607/765371.html"
    assert alibaba.title == "SCO Secretary-General’s videoconference with Alibaba Group delegation"
    assert alibaba.paragraphs[0] == (
        "On 7 June 2021, SCO Secretary-General Vladimir Norov had an online meeting with the "
        "Alibaba Group delegation."
    )
    assert alibaba.paragraphs[3].startswith('"The SCO member states are developing other draft')
    assert alibaba.paragraphs[3].endswith('involved in e-commerce," he noted.')
    _, _, body = get(server, ENG, "/20210607/765371.html")
    text = body.decode()
    assert all(p in text for p in alibaba.paragraphs)
    assert "Alibaba Group delegation - SCO</title>" in text


def test_ids_unique_and_listing_order(server: ReplicaServer) -> None:
    site = server.site
    everything = site.articles(kind=None)
    ids = [t.article_id for t in everything] + [d.doc_id for d in site.documents()]
    assert len(ids) == len(set(ids))
    assert len(site.articles(ENG)) == SMALL.articles_per_host + 2
    assert {t.kind for t in everything} == {"news", "page", "fault"}
    assert len(site.articles(RUS, kind="page")) == 3
    _, _, body = get(server, RUS, "/news/?offset=10")
    links = lxml.html.fromstring(body).xpath("//ul[@class='listing']/li/a[1]/@href")
    assert links == [urlsplit(t.url).path for t in site.articles(RUS)[10:20]]
    assert get(server, RUS, "/news/?offset=20")[0] == 404
    assert get(server, RUS, "/news/?offset=5")[0] == 404
    nav = lxml.html.fromstring(get(server, RUS, "/")[2]).xpath("//nav[@class='menu']//a/@href")
    assert "/20160101/1004.html" in nav


def test_conditional_get_and_head(server: ReplicaServer) -> None:
    path = urlsplit(server.site.articles(ENG)[0].url).path
    status, headers, body = get(server, ENG, path)
    assert status == 200 and headers["etag"].startswith('"') and "last-modified" in headers
    assert "date" in headers and int(headers["content-length"]) == len(body)
    status, h304, body304 = get(server, ENG, path, {"If-None-Match": headers["etag"]})
    assert (status, body304, h304["etag"]) == (304, b"", headers["etag"])
    status, _, _ = get(server, ENG, path, {"If-Modified-Since": headers["last-modified"]})
    assert status == 304
    status, _, _ = get(server, ENG, path, {"If-None-Match": '"other"'})
    assert status == 200
    status, hhead, bhead = get(server, ENG, path, method="HEAD")
    assert (status, bhead, hhead["content-length"], hhead["etag"]) == (
        200,
        b"",
        str(len(body)),
        headers["etag"],
    )
    assert server.stats.requests[-2].conditional and not server.stats.requests[-1].conditional


def test_gzip_when_asked(server: ReplicaServer) -> None:
    path = urlsplit(server.site.articles(CHN)[0].url).path
    _, plain_headers, plain = get(server, CHN, path)
    status, headers, body = get(server, CHN, path, {"Accept-Encoding": "gzip, deflate"})
    assert headers["content-encoding"] == "gzip" and headers["vary"] == "Accept-Encoding"
    assert gzip.decompress(body) == plain
    assert headers["etag"] != plain_headers["etag"]
    assert get(server, CHN, path, {"If-None-Match": plain_headers["etag"]})[0] == 304
    css = get(server, ENG, "/css/main.css", {"Accept-Encoding": "gzip"})[1]
    assert css["content-encoding"] == "gzip" and css["content-type"] == "text/css"
    photo = server.site.articles(ENG)[0].url.split("/")[-1].replace(".html", "_1.jpg")
    status, headers, body = get(server, ENG, f"/images/photos/{photo}", {"Accept-Encoding": "gzip"})
    assert status == 200 and "content-encoding" not in headers
    assert headers["content-type"] == "image/jpeg" and body[:2] == b"\xff\xd8" and body[-2:] == b"\xff\xd9"


def test_assets_and_documents(server: ReplicaServer) -> None:
    status, headers, body = get(server, ENG, "/images/logo.png")
    assert status == 200 and headers["content-type"] == "image/png" and body.startswith(b"\x89PNG")
    docs = server.site.documents(CHN)
    assert len(docs) == SMALL.documents_per_host
    listing = lxml.html.fromstring(get(server, CHN, "/documents/")[2])
    # the menu shares the address pattern: only the class tells the document links apart
    links = listing.xpath("//a[@class='list-item-document__link']/@href")
    assert links == [urlsplit(d.url).path for d in docs]
    assert set(listing.xpath("//nav[@class='menu']//a/@href")) & {urlsplit(d.url).path for d in docs} == set()
    status, headers, body = get(server, CHN, urlsplit(docs[0].pdf_url).path)
    assert headers["content-type"] == "application/pdf"
    assert body.startswith(b"%PDF-1.4") and body.rstrip().endswith(b"%%EOF")
    assert docs[0].title.encode("utf-16-be").hex().upper().encode() in body
    eng_doc = server.site.documents(ENG)[0]
    assert (
        f"({eng_doc.title.split(' meeting')[0]}".encode("cp1252")
        in get(server, ENG, urlsplit(eng_doc.pdf_url).path)[2]
    )


def test_document_pages_have_the_real_markup(server: ReplicaServer) -> None:
    for doc in server.site.documents():
        status, headers, body = get(server, doc.host, urlsplit(doc.url).path)
        assert status == 200 and headers["content-type"].startswith("text/html")
        page = lxml.html.fromstring(body)
        assert page.xpath("//h1[@class='document-article-header__title']/text()") == [doc.title]
        rows = [(tr.findtext("th"), tr.findtext("td")) for tr in page.xpath("//tr[th and td]")]
        assert rows == list(doc.fields) and len(rows) == 3
        assert page.xpath("//a[@class='button button_small']/@href") == [urlsplit(doc.pdf_url).path]
        # the PDF's folder is the posting date in hex: /images/07e8/0c/17/ID.pdf is 2024-12-23
        year, month, day, name = urlsplit(doc.pdf_url).path.split("/")[2:]
        assert (int(year, 16), int(month, 16), int(day, 16)) == doc.published.timetuple()[:3]
        assert (
            name == f"{doc.doc_id}.pdf"
            and urlsplit(doc.url).path == f"/{doc.published:%Y%m%d}/{doc.doc_id}.html"
        )
        assert get(server, doc.host, urlsplit(doc.pdf_url).path)[0] == 200
    # document IDs do not follow the dates
    eng = server.site.documents(ENG)
    by_date = [d.doc_id for d in sorted(eng, key=lambda d: d.published)]
    assert by_date != sorted(by_date)


def test_robots_txt_and_violations(server: ReplicaServer) -> None:
    _, headers, body = get(server, RUS, "/robots.txt")
    assert headers["content-type"].startswith("text/plain")
    assert body == b"User-agent: *\nDisallow: /search/\nDisallow: /private/\n"
    before = len(server.stats.robots_violations)
    assert get(server, ENG, "/search/?q=energy")[0] == 200
    assert get(server, ENG, "/private/admin.html")[0] == 200
    violations = server.stats.robots_violations[before:]
    assert [(v.host, v.path_qs) for v in violations] == [
        (ENG, "/search/?q=energy"),
        (ENG, "/private/admin.html"),
    ]


def test_not_found(server: ReplicaServer) -> None:
    path = urlsplit(server.site.articles(ENG)[0].url).path
    assert get(server, ENG, "/news" + path)[0] == 404  # old address pattern is dead
    assert get(server, RUS, path)[0] == 404  # ids belong to one host
    assert get(server, "example.org", "/")[0] == 404
    status, _, body = get(server, ENG, "/no/such/page")
    assert status == 404 and b"Page not found" in body
    assert get(server, "ENG.SECTSCO.ORG:8080", "/")[0] == 200


def test_calendar_trap_is_infinite(server: ReplicaServer) -> None:
    truth = server.site.articles(ENG)[0]
    month = f"/calendar/{truth.published:%Y/%m}/"
    doc = lxml.html.fromstring(get(server, ENG, month)[2])
    assert urlsplit(truth.url).path in doc.xpath("//ul[@class='listing']//a/@href")
    assert doc.xpath("//a[@rel='next']/@href") and doc.xpath("//a[@rel='prev']/@href")
    status, _, body = get(server, ENG, "/calendar/2999/12/")
    assert status == 200 and b'href="/calendar/3000/01/"' in body
    assert get(server, ENG, "/calendar/2021/13/")[0] == 404


def test_transient_503_then_200() -> None:
    with ReplicaServer(Site(SMALL)) as srv:
        path = FAULT_PATHS["transient_503"]
        first, second = get(srv, ENG, path), get(srv, ENG, path)
        assert [first[0], second[0]] == [503, 503]
        assert first[1]["retry-after"] == "1"
        status, _, body = get(srv, ENG, path)
        assert status == 200 and b"<article>" in body


def test_permanent_500_and_slow_page(server: ReplicaServer) -> None:
    assert get(server, ENG, FAULT_PATHS["permanent_500"])[0] == 500
    assert get(server, ENG, FAULT_PATHS["permanent_500"])[0] == 500
    start = time.monotonic()
    status, _, body = get(server, ENG, FAULT_PATHS["slow"])
    assert status == 200 and b"<article>" in body
    assert time.monotonic() - start >= SMALL.slow_seconds


def test_redirects(server: ReplicaServer) -> None:
    chain = []
    path = FAULT_PATHS["redirect_chain"]
    for _ in range(4):
        status, headers, _ = get(server, ENG, path)
        chain.append((path, status))
        if status not in (301, 302):
            break
        path = headers["location"]
    assert chain == [
        (FAULT_PATHS["redirect_chain"], 301),
        ("/redirect/1", 302),
        ("/redirect/2", 301),
        ("/20210607/765371.html", 200),
    ]
    assert get(server, ENG, FAULT_PATHS["redirect_loop"])[1]["location"] == "/loop/a"
    assert get(server, ENG, "/loop/a")[1]["location"] == "/loop/b"
    assert get(server, ENG, "/loop/b")[1]["location"] == "/loop/a"
    status, headers, _ = get(server, ENG, FAULT_PATHS["offsite_redirect"])
    assert (status, headers["location"]) == (302, PARTNER_URL)


def test_large_file_streams_with_length(server: ReplicaServer) -> None:
    status, headers, body = get(server, ENG, FAULT_PATHS["large_file"], {"Accept-Encoding": "gzip"})
    assert status == 200 and "content-encoding" not in headers
    assert int(headers["content-length"]) == len(body) == SMALL.large_file_bytes
    assert body.startswith(b"%PDF-1.4") and body.endswith(b"%%EOF\n")
    assert get(server, ENG, FAULT_PATHS["large_file"], {"If-None-Match": headers["etag"]})[0] == 304
    assert b'href="/images/docs/large.pdf"' in get(server, ENG, "/documents/")[2]


def test_gzip_bomb(server: ReplicaServer) -> None:
    status, headers, body = get(server, ENG, FAULT_PATHS["gzip_bomb"])
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert len(body) < SMALL.bomb_bytes / 500
    inflated = gzip.decompress(body)
    assert len(inflated) == SMALL.bomb_bytes and inflated.startswith(b"<!DOCTYPE html>")


def test_fault_links_and_tracking_duplicates(server: ReplicaServer) -> None:
    for page in ("/", "/news/"):
        hrefs = set(lxml.html.fromstring(get(server, ENG, page)[2]).xpath("//a/@href"))
        assert {p for p in FAULT_PATHS.values() if p.endswith(".html")} <= hrefs
    hrefs = lxml.html.fromstring(get(server, RUS, "/news/")[2]).xpath("//a/@href")
    newest = urlsplit(server.site.articles(RUS)[0].url).path
    assert {
        newest,
        f"{newest}?utm_source=twitter&utm_medium=social&utm_campaign=x",
        f"{newest}#comments",
    } <= set(hrefs)
    assert get(server, RUS, f"{newest}?utm_source=twitter&utm_medium=social&utm_campaign=x")[0] == 200


def test_no_faults_means_no_fault_links_or_pages() -> None:
    site = Site(ReplicaConfig(articles_per_host=12, faults=False))
    with ReplicaServer(site) as srv:
        for path in [*FAULT_PATHS.values(), "/redirect/1", "/loop/a"]:
            assert get(srv, ENG, path)[0] == 404, path
        for page in ("/", "/news/", "/documents/"):
            body = get(srv, ENG, page)[2]
            assert b"9000" not in body and b"large.pdf" not in body and b"utm_campaign" not in body
    assert not any("9000" in url or "/loop/" in url for url in site.expected_urls())
    assert not site.articles(kind="fault")


def test_expected_urls_scope(server: ReplicaServer) -> None:
    urls = server.site.expected_urls()
    for url in urls:
        parts = urlsplit(url)
        assert parts.scheme == "http" and parts.hostname in HOSTS and not parts.fragment
        assert not parts.path.startswith(("/search/", "/private/", "/calendar/"))
        assert "utm_" not in parts.query
    base = f"http://{ENG}"
    assert {base + p for p in FAULT_PATHS.values()} <= urls
    assert {f"{base}/redirect/1", f"{base}/redirect/2", f"{base}/loop/a", f"{base}/loop/b"} <= urls
    assert {f"http://{h}/robots.txt" for h in HOSTS} <= urls


def canonical(url: str) -> str:
    parts = urlsplit(url)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if not k.startswith("utm_")])
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", query, ""))


def crawl(server: ReplicaServer) -> set[str]:
    """A minimal polite crawler: the set of URLs a correct crawler requests must equal the truth."""
    seen = {f"http://{h}/" for h in HOSTS} | {f"http://{h}/robots.txt" for h in HOSTS}
    queue = deque(sorted(seen))
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    while queue:
        url = queue.popleft()
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for _ in range(3):  # retry the transient 503
            conn.request("GET", target, headers={"Host": parts.netloc})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 503:
                break
        links: list[str] = []
        if resp.status in (301, 302):
            links = [resp.getheader("Location", "")]
        elif resp.getheader("Content-Type", "").startswith("text/html") and not resp.getheader(
            "Content-Encoding"
        ):
            doc = lxml.html.fromstring(body)
            links = doc.xpath("//a/@href | //img/@src | //link/@href")
        for link in links:
            found = canonical(urljoin(url, link))
            path = urlsplit(found).path
            if urlsplit(found).hostname not in HOSTS or path.startswith(
                ("/search/", "/private/", "/calendar/")
            ):
                continue
            if found not in seen:
                seen.add(found)
                queue.append(found)
    conn.close()
    return seen


def test_expected_urls_equal_what_a_crawler_reaches() -> None:
    with ReplicaServer(Site(SMALL)) as srv:
        reached = crawl(srv)
        assert reached == srv.site.expected_urls()
        assert not srv.stats.robots_violations
        srv.site.mutate()
        assert crawl(srv) == srv.site.expected_urls()


def test_mutate_adds_edits_deletes() -> None:
    site = Site(SMALL)
    before = {(h, p): site.response(h, p, {}) for h, p in sample_paths(site)}
    old_titles = {t.url: t for t in site.articles(kind=None)}
    with ReplicaServer(site) as srv:
        change = srv.site.mutate()
        assert site.version == 1 and len(change.added) == 9
        for host in HOSTS:
            top = [t.url for t in site.articles(host)[:3]]
            assert sorted(top) == sorted(u for u in change.added if f"//{host}/" in u)
            listing = get(srv, host, "/news/")[2]
            for url in top:
                assert urlsplit(url).path.encode() in listing
        old_newest = max(t.published for t in old_titles.values() if t.kind == "news")
        assert all(t.published > old_newest for t in site.articles() if t.url in change.added)

        assert change.deleted in old_titles and change.deleted not in {t.url for t in site.articles()}
        deleted_path = urlsplit(change.deleted).path
        assert get(srv, ENG, deleted_path)[0] == 404
        assert (
            get(srv, ENG, deleted_path.replace(".html", "_1.jpg").replace("/2", "/images/photos/2"))[0] == 404
        )

        edited_path = urlsplit(change.edited).path
        old_edit = before[(ENG, edited_path)]
        old_etag = dict(old_edit.headers)["ETag"]
        status, headers, _ = get(srv, ENG, edited_path, {"If-None-Match": old_etag})
        assert status == 200 and headers["etag"] != old_etag
        old_lm = parsedate_to_datetime(dict(old_edit.headers)["Last-Modified"])
        assert parsedate_to_datetime(headers["last-modified"]) > old_lm
        new_truth = next(t for t in site.articles(ENG) if t.url == change.edited)
        assert new_truth.paragraphs != old_titles[change.edited].paragraphs
        assert new_truth.paragraphs[0] == old_titles[change.edited].paragraphs[0]

        protected = {"765514", "765371"} | {p.rsplit("/", 1)[1].split(".")[0] for p in FAULT_PATHS.values()}
        assert not any(i in change.edited or i in change.deleted for i in protected)

        for (host, path), old in before.items():
            if (
                path in (edited_path, deleted_path)
                or path.startswith(("/news/", "/calendar/"))
                or path == "/"
            ):
                continue
            new = site.response(host, path, {})
            assert (new.status, new.body) == (old.status, old.body), path
            if old.status == 200:
                etag = dict(old.headers)["ETag"]
                assert get(srv, host, path, {"If-None-Match": etag})[0] == 304, path
        for truth in site.articles(kind=None):
            body = get(srv, truth.host, urlsplit(truth.url).path)[2]
            assert deleted_path.encode() not in body

        listing_lm = parsedate_to_datetime(get(srv, CHN, "/news/")[1]["last-modified"])
        old_lm = parsedate_to_datetime(dict(before[(CHN, "/news/")].headers)["Last-Modified"])
        assert listing_lm > old_lm
        assert srv.site.mutate().added[0] not in change.added


def test_stats_concurrency_and_reset() -> None:
    with ReplicaServer(Site(SMALL)) as srv:
        threads = [threading.Thread(target=get, args=(srv, ENG, FAULT_PATHS["slow"])) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert srv.stats.max_in_flight[ENG] == 3
        assert srv.stats.total == 3
        srv.stats.reset()
        assert srv.stats.total == 0 and srv.stats.requests == [] and srv.stats.max_in_flight == {}


@pytest.mark.slow
def test_throughput_report() -> None:
    """Not an assertion on speed: run by hand (`pytest -m slow -s -k throughput`) and read it."""
    with ReplicaServer(Site()) as srv:
        path = urlsplit(srv.site.articles(ENG)[0].url).path

        def client(seconds: float, counts: list[int]) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", srv.port)
            done, end = 0, time.monotonic() + seconds
            while time.monotonic() < end:
                conn.request("GET", path, headers={"Host": ENG})
                conn.getresponse().read()
                done += 1
            conn.close()
            counts.append(done)

        for n_clients in (1, 4):
            counts: list[int] = []
            threads = [threading.Thread(target=client, args=(1.5, counts)) for _ in range(n_clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            print(f"\nreplica: {sum(counts) / 1.5:.0f} requests/s with {n_clients} keep-alive client(s)")


def test_address_forms_of_the_real_site(server: ReplicaServer) -> None:
    """Slug-ID (2022-2023, English with and without a leading dash, Russian), Russian sections,
    six- and seven-digit IDs, low IDs of moved pages; plain addresses of slug articles redirect."""
    site = server.site
    news = site.articles()
    forms = {(t.host, t.form) for t in news}
    slugged = {
        (ENG, AddressForm.DASH_SLUG),
        (ENG, AddressForm.SLUG),
        (RUS, AddressForm.SLUG),
        (RUS, AddressForm.SECTION),
    }
    assert slugged <= forms
    assert {t.form for t in site.articles(CHN)} == {AddressForm.PLAIN}
    for truth in news:
        path = urlsplit(truth.url).path
        digits = len(str(truth.article_id))
        if truth.published.year >= 2024:
            assert digits == 7, truth.url
        elif truth.published.year >= 2019:
            assert digits == 6, truth.url
        else:
            assert digits <= 6 and truth.article_id < 200_000, truth.url  # moved from the old site
        if truth.form == AddressForm.PLAIN:
            assert path == f"/{truth.published:%Y%m%d}/{truth.article_id}.html"
            continue
        assert truth.published.year in (2022, 2023)
        if truth.form == AddressForm.SECTION:
            section, _, _, slug = path.split("/")[1:]
            assert section in ("political", "cultural", "media_SCO") and slug.endswith(".html")
        else:
            _, rest = path.split("/")[1:]
            assert rest.endswith(f"-{truth.article_id}.html")
            assert rest.startswith("-") == (truth.form == AddressForm.DASH_SLUG)
        status, _, body = get(server, truth.host, path)
        assert (
            status == 200
            and truth.paragraphs[0].encode("utf-8" if truth.language == "en" else "cp1251") in body
        )
        plain = f"/{truth.published:%Y%m%d}/{truth.article_id}.html"
        status, headers, _ = get(server, truth.host, plain)
        assert (status, headers["location"]) == (301, path)
    assert get(server, ENG, f"/news/{urlsplit(news[0].url).path}")[0] == 404


def test_home_pages_link_older_articles_by_other_addresses(server: ReplicaServer) -> None:
    site = server.site
    linked = {a: t for t in site.articles() for a in t.addresses[1:]}
    hrefs = {h: set(lxml.html.fromstring(get(server, h, "/")[2]).xpath("//a/@href")) for h in HOSTS}
    dotted = [a for a in linked if a.startswith("http://eng.sectsco.org./")]
    redirecting = [a for a in linked if not a.startswith("http://eng.sectsco.org./")]
    assert dotted and {urlsplit(a).hostname for a in redirecting} == {ENG, RUS}
    for address, truth in linked.items():
        parts = urlsplit(address)
        host = parts.netloc.rstrip(".")
        assert address in hrefs[host] or parts.path in hrefs[host]
        status, headers, body = get(server, parts.netloc, parts.path)  # Host: eng.sectsco.org. too
        if status == 301:
            assert headers["location"] == urlsplit(truth.url).path
        else:
            assert status == 200 and truth.title.encode() in body
    assert get(server, "eng.sectsco.org.", "/")[0] == 200


def test_translations_are_linked_only_when_asked() -> None:
    plain, linked = Site(SMALL), Site(dataclasses.replace(SMALL, translation_links=True))
    truth = next(t for t in linked.articles(ENG) if t.translations)
    assert {lang for lang, _ in truth.translations} == {"ru", "zh"}
    path = urlsplit(truth.url).path
    page = lxml.html.fromstring(linked.response(ENG, path, {}).body)
    alternates = dict(
        zip(
            page.xpath("//link[@rel='alternate']/@hreflang"),
            page.xpath("//link[@rel='alternate']/@href"),
            strict=True,
        )
    )
    assert alternates == {"en": truth.url, **dict(truth.translations)}
    for lang, url in truth.translations:  # each translation links back
        parts = urlsplit(url)
        back = lxml.html.fromstring(linked.response(parts.netloc, parts.path, {}).body)
        assert truth.url in back.xpath("//link[@rel='alternate'][@hreflang='en']/@href")
        assert lang == {"rus.sectsco.org": "ru", "chn.sectsco.org": "zh"}[parts.netloc]
    default = lxml.html.fromstring(plain.response(ENG, path, {}).body)
    assert not default.xpath("//link[@rel='alternate']")
    # the language switcher of the real site: the other sites' home pages, nothing more
    assert default.xpath("//a[@hreflang]/@href") == ["http://rus.sectsco.org/", "http://chn.sectsco.org/"]
