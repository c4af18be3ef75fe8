"""Extraction: titles, dates, languages and main text of SCO pages, against the replica's truth."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
import trafilatura
from lxml import etree
from lxml.html import HtmlElement, fromstring

from scoarchive.extract.article import extract, url_date
from scoarchive.extract.boilerplate import (
    normal,
    prune_labelled,
    strip_boilerplate,
    strip_headline,
    title_variants,
)
from scoarchive.extract.document import extract_document_page, is_document_page
from scoarchive.extract.encoding import decode_html
from scoarchive.extract.languages import LanguageLink
from scoarchive.extract.pdf import extract_pdf
from scoarchive.extract.text import NotExtractable
from scoarchive.replica import ReplicaConfig, Site

SITE_CONFIG = ReplicaConfig(articles_per_host=12, documents_per_host=3, faults=False)


@pytest.fixture(scope="module")
def site() -> Site:
    return Site(SITE_CONFIG)


def served(site: Site, url: str) -> tuple[bytes, str | None]:
    """The bytes and Content-Type the replica serves for ``url`` (no gzip asked for)."""
    parts = urlsplit(url)
    response = site.response(parts.netloc, parts.path, {})
    assert response.status == 200
    return response.body, dict(response.headers).get("Content-Type")


def test_every_replica_article_is_extracted_exactly(site: Site) -> None:
    truths = site.articles(kind=None)
    assert {t.language for t in truths} == {"en", "ru", "zh"}
    for truth in truths:
        body, content_type = served(site, truth.url)
        article = extract(body, truth.url, content_type=content_type)
        assert article.title == truth.title, truth.url
        assert article.published == truth.published == article.url_date
        assert article.date_agrees is True and article.date_source == "time"
        assert article.language == truth.language
        for paragraph in truth.paragraphs:
            assert paragraph in article.text, (truth.url, paragraph)
        # a boilerplate string that also occurs in the story ("Secretariat") proves nothing
        story = (truth.title, *truth.paragraphs)
        for junk in truth.boilerplate:
            if not any(junk in part for part in story):
                assert junk not in article.text, (truth.url, junk)
        assert article.text.split("\n", 1)[0] != truth.title  # the headline is not body text
        assert article.markdown and article.word_count > 10
        assert len(article.content_sha256) == 64


def test_meta_declared_encodings_decode_to_correct_unicode(site: Site) -> None:
    russian = site.articles(host="rus.sectsco.org")[0]
    chinese = site.articles(host="chn.sectsco.org")[0]
    for truth, codec in ((russian, "cp1251"), (chinese, "gb18030")):
        body, content_type = served(site, truth.url)
        assert content_type == "text/html"  # the charset is only in <meta>
        article = extract(body, truth.url, content_type=content_type)
        assert article.encoding == codec
        assert article.title == truth.title


def test_figure_captions_in_english_pages_stay_out(site: Site) -> None:
    truth = site.articles(host="eng.sectsco.org")[0]
    body, _ = served(site, truth.url)
    assert b"<figcaption>" in body
    article = extract(body, truth.url)
    assert "Фото" not in article.text and "Фото" not in article.markdown


def test_page_date_and_url_date_are_both_kept_when_they_disagree() -> None:
    html = (
        b'<html lang="en-GB"><head><meta charset="utf-8"><title>Moved story</title></head><body><article>'
        b'<h1>Moved story</h1><time datetime="2021-06-16T09:00:00+03:00">16.06.2021</time>'
        + b"<p>The SCO Secretariat held a long meeting on regional security and trade.</p>" * 4
        + b"</article></body></html>"
    )
    article = extract(html, "http://eng.sectsco.org/20210615/765514.html")
    assert article.page_date == date(2021, 6, 16) and article.url_date == date(2021, 6, 15)
    assert article.published == date(2021, 6, 16) and article.date_agrees is False
    assert article.language == "en"
    assert url_date("http://rus.sectsco.org/political/20100101/1234/Slug.html") == date(2010, 1, 1)
    assert url_date("http://eng.sectsco.org/20211399/1.html") is None


def test_encoding_sniffing_order_and_lying_headers() -> None:
    text = "<html><head><meta charset='windows-1251'></head><body><p>Шанхайская организация</p></body></html>"
    data = text.encode("cp1251")
    # a header claiming UTF-8 is overruled when the bytes are not UTF-8
    assert decode_html(data, "text/html; charset=utf-8") == (text, "cp1251")
    assert decode_html(b"\xef\xbb\xbf<p>\xc3\xa9</p>") == ("<p>é</p>", "utf-8")
    assert decode_html("<meta charset=gb2312><p>上海</p>".encode("gb18030"))[1] == "gb18030"
    # a few bad bytes in the declared encoding cost a replacement character each, not the page
    page = "<meta charset=utf-8><p>Задача — сотрудничество</p>"
    damaged = page.encode() + b"\xe2" + "<p>ещё</p>".encode()
    assert decode_html(damaged) == (f"{page}\ufffd<p>ещё</p>", "utf-8")
    # nothing decodes and nothing can be detected: replacement characters, not an exception
    assert "\ufffd" in decode_html(bytes(range(128, 256)) * 3)[0]


def test_valid_utf8_wins_over_a_stale_declaration_and_undeclared_bytes_are_detected() -> None:
    news = "<p>上海合作组织秘书长会见了各成员国代表，双方就地区安全与经济合作交换了意见。</p>" * 3
    # re-saved as UTF-8 under the old <meta charset=gb2312>: valid UTF-8 is not GBK by accident
    resaved = f"<html><head><meta charset=gb2312></head><body>{news}</body></html>"
    assert decode_html(resaved.encode("utf-8")) == (resaved, "utf-8")
    # saved without its HTTP header: nothing declared, not UTF-8, so detected (GBK, as a
    # browser in a Chinese locale would assume)
    undeclared = f"<html><body>{news}</body></html>"
    assert decode_html(undeclared.encode("gb18030")) == (undeclared, "gb18030")


def test_a_stray_nul_byte_in_a_large_page_is_dropped_not_fatal() -> None:
    story = "".join(f"<p>Session {n} of the Secretariat discussed security and trade.</p>" for n in range(30))
    html = f"<html><body><article><h1>Meeting</h1>{story}\x00</article></body></html>".encode()
    article = extract(html, "http://eng.sectsco.org/20210615/1.html")
    assert "\x00" not in article.text and article.text.count("security and trade") == 30


def test_binary_or_empty_pages_are_not_extractable() -> None:
    with pytest.raises(NotExtractable, match="NUL"):
        extract(b"<html><body><p>text\x00more</p></body></html>", "http://eng.sectsco.org/20210615/1.html")
    with pytest.raises(NotExtractable):
        extract(b"<html><body></body></html>", "http://eng.sectsco.org/20210615/1.html")
    with pytest.raises(NotExtractable):
        extract_pdf(b"%PDF-1.4 not really a pdf", "http://eng.sectsco.org/images/docs/1.pdf")


def test_pdf_documents_give_metadata_and_text(site: Site) -> None:
    for doc in site.documents():
        body, content_type = served(site, doc.pdf_url)
        assert content_type == "application/pdf"
        pdf = extract_pdf(body, doc.pdf_url)
        assert pdf.title == doc.title  # UTF-16 Info title: Russian and Chinese survive
        assert pdf.pages == 1
        assert f"Document {doc.doc_id}" in pdf.text
        assert doc.published.strftime("%d.%m.%Y") in pdf.text


def test_document_pages_give_title_date_fields_and_pdf(site: Site) -> None:
    for doc in site.documents():
        body, content_type = served(site, doc.url)
        assert is_document_page(body)
        page = extract_document_page(body, doc.url, content_type=content_type)
        assert (page.title, page.published, page.date_source) == (doc.title, doc.published, "time")
        assert page.fields == doc.fields and page.pdf_url == doc.pdf_url
        assert page.language == doc.language
        assert all(f"{name}: {value}" in page.text for name, value in doc.fields)
    article = site.articles()[0]
    body, _ = served(site, article.url)
    assert not is_document_page(body)
    with pytest.raises(NotExtractable, match="not a document page"):
        extract_document_page(body, article.url)


def test_a_document_page_without_a_time_takes_its_date_from_the_table() -> None:
    html = (
        b'<html lang="en"><body><main><h1 class="document-article-header__title">Charter</h1>'
        b"<table><tr><th>Place</th><td>Saint Petersburg</td></tr>"
        b"<tr><th>Date of signing</th><td>7 June 2002</td></tr>"
        b"<tr><th>Place</th><td>ignored repeat</td></tr></table>"
        b'<a class="button button_small" href="/images/07d2/06/07/1.pdf">PDF</a></main></body></html>'
    )
    page = extract_document_page(html, "http://eng.sectsco.org./20190101/1.html")
    assert page.fields == (("Place", "Saint Petersburg"), ("Date of signing", "7 June 2002"))
    assert (page.published, page.date_source) == (date(2002, 6, 7), "fields")
    assert page.pdf_url == "http://eng.sectsco.org./images/07d2/06/07/1.pdf"  # the loader canonicalises
    bare = html.replace(b"7 June 2002", b"unknown")
    assert extract_document_page(bare, "http://eng.sectsco.org/20190101/1.html").published == date(2019, 1, 1)


def test_language_links_are_read_as_the_page_states_them() -> None:
    site = Site(
        ReplicaConfig(articles_per_host=3, documents_per_host=1, faults=False, translation_links=True)
    )
    truth = next(t for t in site.articles() if t.translations)
    body, content_type = served(site, truth.url)
    article = extract(body, truth.url, content_type=content_type)
    alternates = {(link.language, link.url) for link in article.language_links}
    assert {(truth.language, truth.url), *truth.translations} <= alternates
    plain = Site(ReplicaConfig(articles_per_host=3, documents_per_host=1, faults=False))
    body, content_type = served(plain, plain.articles()[0].url)
    links = extract(body, plain.articles()[0].url, content_type=content_type).language_links
    assert links == (
        LanguageLink("ru", "http://rus.sectsco.org/"),
        LanguageLink("zh", "http://chn.sectsco.org/"),
    )


def test_url_dates_of_every_address_form() -> None:
    for address in (
        "http://eng.sectsco.org/20220805/-SCO-Secretary-General-meets-908439.html",
        "http://rus.sectsco.org/20220805/Vstrecha-908439.html",
        "http://rus.sectsco.org/political/20220805/908439/Vstrecha.html",
        "http://eng.sectsco.org/news/20220805/908439.html",
    ):
        assert url_date(address) == date(2022, 8, 5), address


# Generic pages of sites we did not design: small fixtures for each boilerplate rule.

_PROSE = (
    "Ministers of the member states met in Astana on Tuesday to discuss transport corridors, "
    "customs procedures and the financing of new rail links between their capitals. "
)


def _body(xml: str) -> etree._Element:
    """A trafilatura output tree, as ``strip_boilerplate`` receives it (links kept as <ref>)."""
    return etree.fromstring(f"<body>{xml}</body>")


def _blocks(body: etree._Element) -> list[str]:
    return [normal("".join(block.itertext())) for block in body]


def test_teasers_headline_standfirst_and_orphan_headings_are_stripped() -> None:
    body = _body(
        '<head rend="h1">Ministers meet in Astana</head>'
        '<head rend="h2">The ministers agreed a plan for rail links.</head>'
        f"<p>{_PROSE}</p>"
        '<p>Read more: <ref target="https://news.example/2020/tashkent">'
        "Ministers met in Tashkent last year to agree the plan</ref></p>"
        '<p>Source: <ref target="https://example.org/report.pdf">https://example.org/report.pdf</ref></p>'
        '<p><ref target="#notes">The notes below give the figures</ref></p>'
        f"<p>{_PROSE}</p>"
        '<head rend="h2">More stories</head>'
        '<list><item><ref target="/a.html">Story A</ref></item>'
        '<item><ref target="/b.html">Story B</ref></item></list>'
    )
    strip_boilerplate(body, frozenset({"The ministers agreed a plan for rail links."}))
    assert _blocks(body)[0] == "Ministers meet in Astana"  # the markdown's heading
    strip_headline(body, title_variants(["Ministers meet in Astana | Example News"]))
    assert _blocks(body) == [
        normal(_PROSE),
        "Source: https://example.org/report.pdf",  # a citation spells out its address
        "The notes below give the figures",  # a link within the page
        normal(_PROSE),
    ]


def test_a_page_made_of_links_keeps_them() -> None:
    deals = "".join(f'<p><ref target="/deal/{n}">Deal {n}: a laptop, half price</ref></p>' for n in range(6))
    body = _body(f"<p>Today's deals, checked by our editors.</p>{deals}")
    strip_boilerplate(body, frozenset())
    assert len(body) == 7


def test_a_lead_paragraph_that_repeats_the_description_stays() -> None:
    # only a heading repeating the description is a standfirst; a paragraph is the lead
    body = _body(f"<p>{_PROSE}</p><p>{_PROSE} Again.</p>")
    strip_boilerplate(body, frozenset({normal(_PROSE)}))
    assert len(body) == 2


def _tree(body: str, label: str = "") -> HtmlElement:
    return fromstring(f"<html><body class='{label}'>{body}</body></html>")


def test_labelled_boilerplate_captions_and_stamps_are_pruned_but_not_wrappers() -> None:
    tree = _tree(
        '<div class="post entry share"><p>' + _PROSE * 2 + "</p>"  # a wrapper that says "share"
        '<figure><img src="a.jpg"><figcaption>Участники встречи. Фото: пресс-служба</figcaption></figure>'
        '<p>Published <time datetime="2021-06-15">15 June</time> in Astana.</p>'
        '<time datetime="2021-06-15">15.06.2021</time>'
        '<div class="Social"><a href="https://x.example/share">X</a> <a href="https://vk.example">VK</a></div>'
        '<div class="research">Our research unit</div></div>'
    )
    prune_labelled(tree)
    text = normal(tree.text_content())
    assert normal(_PROSE) in text and "Фото" not in text and "15.06.2021" not in text
    assert "Published 15 June in Astana." in text and "VK" not in text and "research unit" in text


def test_the_page_itself_is_never_a_labelled_block() -> None:
    tree = _tree("<p>A short notice.</p>", label="single related")
    prune_labelled(tree)
    assert normal(tree.text_content()) == "A short notice."


def test_gallery_captions_are_content() -> None:
    slides = "".join(f"<figure><img src='{n}.jpg'><figcaption>{_PROSE}</figcaption></figure>" for n in "abcd")
    tree = _tree(f"<article><h1>Twelve stations</h1><p>The new line in pictures.</p>{slides}</article>")
    prune_labelled(tree)
    assert normal(tree.text_content()).count(normal(_PROSE)) == 4


def test_an_article_body_split_into_chunks_is_extracted_whole() -> None:
    first = "".join(f"<p>Part one, paragraph {n}: {_PROSE}</p>" for n in range(6))
    second = "".join(f"<p>Part two, paragraph {n}: {_PROSE}</p>" for n in range(3))
    html = (
        "<html><head><title>Rail links</title></head><body><article><h1>Rail links</h1>"
        f'<div class="article__body">{first}</div><div class="ad-slot">Advertisement</div>'
        f'<div class="article__body">{second}</div></article></body></html>'
    ).encode()
    assert "Part two" not in (trafilatura.extract(html) or "")  # what bare trafilatura misses
    article = extract(html, "https://news.example/2021/rail.html")
    assert "Part one, paragraph 0" in article.text and "Part two, paragraph 2" in article.text
    assert "Advertisement" not in article.text
