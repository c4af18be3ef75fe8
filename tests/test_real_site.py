"""The real site's forms, end to end: every address form, documents as records, translations.

The session archive (conftest.py) is a crawl of a replica that serves what public copies of the
real site show: slug-ID addresses (2022-2023), Russian section addresses, six- and seven-digit
and low IDs, plain addresses that redirect to slug ones, a link through ``eng.sectsco.org.``,
and the documents section with its real markup. Each test proves one claim of issue 10 against
the replica's ground truth.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import ArchiveHistory, crawl_replica
from test_capture import records
from test_resolve import loaded_archive
from typer.testing import CliRunner

from scoarchive.cli.main import app
from scoarchive.core.profile import load_profile
from scoarchive.replica import HOSTS, AddressForm, ArticleTruth, ReplicaConfig, ReplicaServer, Site
from scoarchive.resolve.resolver import Resolver
from scoarchive.warc.reader import read_payload
from scoarchive.warehouse import connect, load
from scoarchive.warehouse.lookups import linked_translations
from scoarchive.warehouse.schema import migrate, migrations
from scoarchive.warehouse.snapshots import publish

SCO = load_profile("sco")


@pytest.fixture(scope="module")
def data_dir(archive: ArchiveHistory, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return loaded_archive(archive, tmp_path_factory)


def cited_forms(truth: ArticleTruth) -> list[str]:
    """Every address the article was linked under, and the spellings a citation of it may use."""
    day, number = f"{truth.published:%Y%m%d}", truth.article_id
    path = truth.url.split(truth.host, 1)[1]
    return [
        *truth.addresses,
        f"http://{truth.host}/{day}/{number}.html",  # the plain form (now a redirect, if slugged)
        f"http://{truth.host}/news/{day}/{number}.html",  # the old site's address
        f"https://www.{truth.host}{path}",
        f"http://{truth.host.upper()}.{path}",
        f"{truth.host}{path}?utm_source=x",
    ]


def test_the_archive_holds_every_form(archive: ArchiveHistory) -> None:
    """Guard: the claims below are about these forms, so the crawled replica must serve them all."""
    site = archive.site
    news = site.articles()
    assert {t.form for t in news} == set(AddressForm)
    assert {len(str(t.article_id)) for t in news} >= {5, 6, 7}
    linked = [a for t in news for a in t.addresses[1:]]
    assert any("sectsco.org./" in a for a in linked) and any("sectsco.org/" in a for a in linked)
    assert len(site.documents()) == 3 * 12


def test_every_article_is_captured_loaded_and_resolvable_in_every_form(
    archive: ArchiveHistory, data_dir: Path
) -> None:
    site = archive.site
    truths = site.articles(kind=None)  # news, menu pages and fault pages, as the site is now
    captured = {
        fields["WARC-Target-URI"] for _, _, kind, fields, _ in records(archive.data_dir) if kind == "response"
    }
    con = connect(data_dir)
    try:
        latest = dict(con.execute("SELECT article_key, url FROM articles_latest").fetchall())
    finally:
        con.close()
    resolver = Resolver(data_dir)
    for truth in truths:
        assert {SCO.canonicalize(a) for a in truth.addresses} <= captured, truth.addresses
        key = SCO.article_key(truth.url)
        assert key == f"{truth.host}/{truth.article_id}"
        assert latest[key] == truth.url
        for cited in cited_forms(truth):
            result = resolver.resolve(cited)
            assert result is not None, cited
            assert result.capture.url == truth.url and result.capture.content.status == 200, cited
            assert result.capture.title == truth.title, cited


def test_documents_are_records_with_their_metadata_and_pdf(archive: ArchiveHistory, data_dir: Path) -> None:
    con = connect(data_dir)
    try:
        cursor = con.execute(
            "SELECT document_key, page_url, title, published, language, fields, url, pdf_title, text, "
            "record_id, warc_file, warc_offset FROM documents WHERE document_key IS NOT NULL"
        )
        names = [d[0] for d in cursor.description]
        rows = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
        pdf_records = dict(
            con.execute("SELECT record_id, url FROM captures WHERE mime = 'application/pdf'").fetchall()
        )
        as_articles = con.execute(
            "SELECT count(*) FROM articles WHERE list_contains($keys, article_key)",
            {"keys": list(rows)},
        ).fetchone()
    finally:
        con.close()
    resolver = Resolver(data_dir)
    docs = archive.site.documents()
    assert len(rows) == len(docs)  # one row each: one version of each page and of its PDF
    for doc in docs:
        row = rows[f"{doc.host}/{doc.doc_id}"]
        assert (row["page_url"], row["title"], row["published"], row["language"]) == (
            doc.url,
            doc.title,
            doc.published,
            doc.language,
        )
        assert list(json.loads(row["fields"]).items()) == list(doc.fields)  # every field, in page order
        assert row["url"] == doc.pdf_url and pdf_records[row["record_id"]] == doc.pdf_url
        assert row["pdf_title"] == doc.title and f"Document {doc.doc_id}" in row["text"]
        for cited in (doc.url, doc.pdf_url, doc.url.replace(doc.host, doc.host + ".", 1)):
            result = resolver.resolve(cited)
            assert result is not None and result.capture.content.status == 200, cited
    assert as_articles == (0,)  # a document page is not an article


def test_the_documents_of_a_year_in_one_query(archive: ArchiveHistory, data_dir: Path) -> None:
    sql = (Path(__file__).parent.parent / "warehouse" / "queries" / "documents_of_year.sql").read_text()
    con = connect(data_dir)
    try:
        found = con.execute(sql).fetchall()
    finally:
        con.close()
    expected = sorted(
        (d.published, d.language, d.title, d.url, d.pdf_url)
        for d in archive.site.documents()
        if d.published.year == 2024
    )
    assert expected
    assert sorted((r[0], r[1], r[2], r[4], r[5]) for r in found) == expected
    assert all(r[6] for r in found)  # every PDF archived


def test_links_through_the_trailing_dot_stay_in_scope(archive: ArchiveHistory) -> None:
    dotted = [a for t in archive.site.articles() for a in t.addresses if ".sectsco.org./" in a]
    assert dotted
    assert {r.host for r in archive.first_requests} <= set(HOSTS)  # never asked for "eng.sectsco.org."
    run = records(archive.data_dir, archive.first.run_id)
    uris = [fields.get("WARC-Target-URI", "") for _, _, _, fields, _ in run]
    assert not [u for u in uris if ".org./" in u]
    responses = [fields["WARC-Target-URI"] for _, _, kind, fields, _ in run if kind == "response"]
    for address in dotted:  # fetched once, as the same article
        assert responses.count(SCO.canonicalize(address)) == 1
    outlinks = "".join(
        read_payload(path, offset, 1 << 20).decode() for path, offset, kind, _, _ in run if kind == "metadata"
    )
    assert "outlink: http://partner.example.org/" in outlinks and "sectsco.org." not in outlinks


def test_translations_stay_empty_where_pages_link_only_home_pages(data_dir: Path) -> None:
    con = connect(data_dir)
    try:
        links = con.execute("SELECT DISTINCT url FROM language_links ORDER BY 1").fetchall()
        translations = con.execute("SELECT count(*) FROM article_translations").fetchone()
        key, record = con.execute(
            "SELECT article_key, record_id FROM articles_latest WHERE article_key LIKE 'eng%' LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    # the language switcher is recorded, as the pages state it; it names no article
    assert links == [(f"http://{h}/",) for h in sorted(HOSTS)]
    assert translations == (0,)
    assert linked_translations(data_dir, key) == [] and linked_translations(data_dir, record) == []


@pytest.fixture(scope="module")
def translated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Site, Path]:
    """A small replica whose article pages link their translations (rel=alternate hreflang)."""
    site = Site(
        ReplicaConfig(articles_per_host=4, documents_per_host=1, faults=False, translation_links=True)
    )
    data_dir = tmp_path_factory.mktemp("translated")
    with ReplicaServer(site) as server:
        crawl_replica(server, data_dir)
    load(data_dir)
    return site, data_dir


def test_linked_translations_give_the_other_languages_texts(translated: tuple[Site, Path]) -> None:
    site, data_dir = translated
    truths = {t.url: t for t in site.articles()}
    con = connect(data_dir)
    try:
        relation = con.execute(
            "SELECT article_key, translation_key, language, url FROM article_translations"
        ).fetchall()
        records = dict(con.execute("SELECT article_key, record_id FROM articles_latest").fetchall())
    finally:
        con.close()
    expected = {
        (SCO.article_key(t.url), SCO.article_key(url), language, url)
        for t in truths.values()
        for language, url in t.translations
    }
    assert expected and set(relation) == expected
    english = next(t for t in truths.values() if t.language == "en" and t.translations)
    key = SCO.article_key(english.url)
    for found in (linked_translations(data_dir, key), linked_translations(data_dir, records[key])):
        assert [(t.language, t.url) for t in found] == sorted(english.translations)
        for translation in found:
            original = truths[translation.url]
            assert translation.title == original.title and translation.record_id is not None
            assert all(paragraph in (translation.text or "") for paragraph in original.paragraphs)
    menu_page = next(t for t in site.articles(kind="page"))
    assert linked_translations(data_dir, SCO.article_key(menu_page.url)) == []


def test_an_old_warehouse_migrates_and_keeps_its_rows(archive: ArchiveHistory, tmp_path: Path) -> None:
    """A warehouse of schema 2 (the old code's migrations, unchanged) with a PDF row migrates."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    con = duckdb.connect(str(warehouse / "work.duckdb"))
    con.execute(
        "CREATE TABLE schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for version, name, sql in migrations()[:2]:
        con.execute(sql)
        con.execute("INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name])
    old_pdf = "http://eng.sectsco.org/images/docs/4001.pdf"
    con.execute(
        "INSERT INTO captures (record_id, url, capture_time, status, mime, record_type, warc_file, "
        "warc_offset, warc_length) VALUES ('<urn:uuid:old>', ?, '2021-06-15 12:00', 200, "
        "'application/pdf', 'response', 'old.warc.gz', 0, 100)",
        [old_pdf],
    )
    con.execute(
        "INSERT INTO extractions (record_id, kind, item_key, url, capture_time, warc_file, warc_offset, "
        "title, text, pages, content_sha256) VALUES ('<urn:uuid:old>', 'document', ?, ?, "
        "'2021-06-15 12:00', 'old.warc.gz', 0, 'Old declaration', 'text', 1, 'x')",
        [old_pdf, old_pdf],
    )
    con.execute("INSERT INTO documents SELECT * FROM documents_build")  # as the old loader did
    con.execute("INSERT INTO warehouse_state VALUES ('dirty', 'false')")
    con.close()
    migrate_before = duckdb.connect(str(warehouse / "work.duckdb"), read_only=True)
    assert migrate_before.execute("SELECT count(*) FROM documents").fetchone() == (1,)
    migrate_before.close()
    publish(warehouse / "work.duckdb", warehouse)
    (tmp_path / "warcs").mkdir()
    first = sorted((archive.data_dir / "warcs").glob("*.warc.gz"))[0]
    shutil.copy2(first, tmp_path / "warcs")
    report = load(tmp_path)
    assert report.snapshot is not None
    con = connect(tmp_path)
    try:
        applied = con.execute("SELECT list(version ORDER BY version) FROM schema_migrations").fetchone()
        assert applied == ([version for version, _, _ in migrations()],)  # the old one migrated
        old = con.execute(
            "SELECT title, document_key, record_id FROM documents WHERE url = ?", [old_pdf]
        ).fetchall()
        assert old == [("Old declaration", None, "<urn:uuid:old>")]  # kept: a PDF no page links
        linked = con.execute("SELECT count(*) FROM documents WHERE document_key IS NOT NULL").fetchone()
        assert linked is not None and linked[0] > 0
    finally:
        con.close()
    # migrating twice is a no-op
    again = duckdb.connect(str(warehouse / "work.duckdb"))
    try:
        assert migrate(again) == []
    finally:
        again.close()


def test_the_check_finds_a_quote_in_the_archived_translation_the_page_links(
    translated: tuple[Site, Path], tmp_path: Path
) -> None:
    """A Russian briefing quotes the Russian version of the English article it cites: the check
    finds the quotation there, from the warehouse's linked translations, with no help from the caller."""
    site, data_dir = translated
    truths = {t.url: t for t in site.articles()}
    english = next(t for t in truths.values() if t.language == "en" and dict(t.translations).get("ru"))
    russian = truths[dict(english.translations)["ru"]]
    quoted = " ".join(russian.paragraphs[0].split()[:8]).strip(".,;:")
    briefing = tmp_path / "ru.md"
    briefing.write_text(
        f"# Записка\n\nВ сообщении сказано: «{quoted}»[^1].\n\n"
        f"[^1]: {english.title}, {english.published:%d.%m.%Y}, <{english.url}>\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["check", str(briefing), "--data", str(data_dir), "--format", "json"])
    assert result.exit_code == 0, result.output
    (citation,) = json.loads(result.stdout)["citations"]
    (quote,) = citation["quotes"]
    assert quote["verdict"] in ("found", "found_normalised"), quote
    assert (quote["translation_url"], quote["translation_language"]) == (russian.url, "ru")
    misquoted = briefing.read_text(encoding="utf-8").replace(
        quoted, "Совершенно другие слова о чём-то ином совсем"
    )
    briefing.write_text(misquoted, encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(briefing), "--data", str(data_dir), "--format", "json"])
    (quote,) = json.loads(result.stdout)["citations"][0]["quotes"]
    assert quote["verdict"] == "not_found" and quote["translation_url"] == russian.url
    assert result.exit_code == 0  # preserved; a misquote is the report's finding, not the exit's
