"""Quote and date checks: the example briefing against the replica's pages, properties, speed."""

from __future__ import annotations

import re
import time
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_briefing import EXAMPLE

from scoarchive.briefing.compare import Translation, check_date, check_quote
from scoarchive.briefing.languages import detect_language
from scoarchive.briefing.reader import parse_briefing
from scoarchive.replica import ReplicaConfig, Site

TEXT = (
    "the SCO member states will continue to strengthen cooperation in security, economy and culture. "
    "Vladimir Norov noted that documents had been adopted aimed at developing e-commerce; "
    '"a new type of international relations" was discussed (2021) by the Council of Foreign Ministers: '
    "Secretary-General Beijing Dushanbe anniversary digitalisation"
)
WORDS = TEXT.split()
SEPARATORS = st.sampled_from([" ", " ", " ", "\n", "  ", " \n "])


def _page_texts() -> dict[int, str]:
    site = Site(ReplicaConfig(articles_per_host=2, documents_per_host=1, faults=False))
    return {a.article_id: "\n".join(a.paragraphs) for a in site.articles("eng.sectsco.org")}


def test_example_terms_against_the_cited_page() -> None:
    """The example's German quotations: the English name is found, „neuen Typ“ is German."""
    jubilee, _ = parse_briefing(EXAMPLE).citations
    page = _page_texts()[765514]
    name, term = (check_quote(text, page) for text in jubilee.terms)
    assert (name.text, name.verdict) == ("Shanghai Cooperation Organisation", "found")
    assert (term.text, term.verdict, term.closest, term.similarity) == (
        "neuen Typ",
        "other_language",
        "",
        0.0,
    )
    assert (term.quote_language, term.source_language, term.translation_url) == ("de", "en", None)


@pytest.mark.parametrize(
    ("quote", "language"),
    [
        ("a new type of international relations", "en"),
        ("eine neue Art internationaler Beziehungen", "de"),
        ("новый тип международных отношений", "ru"),
        ("新型国际关系", "zh"),
        ("un nouveau type de relations internationales", "fr"),
    ],
)
def test_languages_of_quotes(quote: str, language: str) -> None:
    detected = detect_language(quote)
    assert detected is not None and detected.language == language
    assert detect_language("2021 – 42 %") is None


def test_a_translated_quote_is_found_in_the_translation() -> None:
    english = "The SCO will promote a new type of international relations and cooperation."
    german = Translation(
        "http://example.org/de", "de", "Die SCO fördert eine neue Art internationaler Beziehungen."
    )
    russian = Translation(
        "http://example.org/ru", None, "ШОС будет содействовать новому типу международных отношений."
    )
    result = check_quote("eine neue Art internationaler Beziehungen", english, translations=[russian, german])
    assert (result.verdict, result.translation_url, result.translation_language) == (
        "found",
        german.url,
        "de",
    )
    assert (result.quote_language, result.source_language) == ("de", "en")
    result = check_quote("новому типу  международных\nотношений", english, translations=[russian, german])
    assert (result.verdict, result.translation_language) == ("found_normalised", "ru")  # detected
    # a misquote of the translation is not_found against it, with its closest passage
    result = check_quote("eine ganz andere Art internationaler Beziehungen", english, translations=[german])
    assert (result.verdict, result.translation_url) == ("not_found", german.url)
    assert "neue Art internationaler Beziehungen" in result.closest
    # in another language and no translation in it: other_language, never not_found
    result = check_quote("eine ganz andere Art internationaler Beziehungen", english, translations=[russian])
    assert (result.verdict, result.quote_language, result.source_language) == ("other_language", "de", "en")
    # found in the cited page itself: the translations are not needed
    result = check_quote("a new type of international relations", english, translations=[german])
    assert (result.verdict, result.translation_url) == ("found", None)


def test_a_misquote_in_the_source_language_stays_not_found() -> None:
    english = "The SCO will promote a new type of international relations and cooperation."
    result = check_quote("a new kind of international relations", english)
    assert result.verdict == "not_found" and result.similarity > 0.7
    assert (result.quote_language, result.source_language) == ("en", "en")


def test_example_quotes_against_the_cited_pages() -> None:
    pages = _page_texts()
    jubilee, alibaba = parse_briefing(EXAMPLE).citations
    result = check_quote(jubilee.quotes[0], pages[765514])
    assert (result.verdict, result.similarity) == ("found", 1.0)
    assert result.closest == jubilee.quotes[0]
    result = check_quote(alibaba.quotes[0], pages[765371])  # paragraphs joined by the analyst
    assert result.verdict == "found_normalised"
    assert result.closest.startswith("On 7 June 2021") and result.closest.endswith("he noted.")
    wrong = alibaba.quotes[0].replace("online meeting", "secret meeting")
    result = check_quote(wrong, pages[765371])
    assert result.verdict == "not_found" and result.similarity > 0.95
    assert "had an online meeting with the Alibaba" in result.closest


@pytest.mark.parametrize(
    ("quote", "source", "verdict"),
    [
        ("„a new type of relations“", '"a new type of relations"', "found_normalised"),
        ("use the single SCO voice", "use the single\n   SCO voice", "found_normalised"),
        ("THE SINGLE SCO VOICE", "the single SCO voice", "found_normalised"),
        (
            "the e-commerce development was discussed",
            "the e–commerce develop-\nment was dis\u00adcussed",
            "found_normalised",
        ),
        (
            "developing the IT sector – in the SCO space",
            "developing the IT sector - in the SCO space",
            "found_normalised",
        ),
        (
            "Norov noted […] in the SCO space",
            "Norov noted that documents were adopted in the SCO space",
            "found_normalised",
        ),
        (
            "Norov noted ... in the SCO space",
            "Norov noted that documents were adopted in the SCO space",
            "found_normalised",
        ),
        (
            "in the SCO space […] Norov noted",
            "Norov noted that documents were adopted in the SCO space",
            "not_found",
        ),
        ("ﬁnal communiqué", "final communiqué", "found_normalised"),  # NFKC: the ligature
    ],
)
def test_normalisation(quote: str, source: str, verdict: str) -> None:
    result = check_quote(quote, source)
    assert result.verdict == verdict
    if verdict == "found_normalised":
        assert result.similarity == 1.0 and result.closest in source


def test_empty_quote_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="empty quote"):
        check_quote(" „[…]“ – ", "text")


@st.composite
def source_and_passage(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]], int, int]:
    """A source text of vocabulary words, the spans of its words, and a passage of >= 5 of them."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=6, max_size=120))
    separators = draw(st.lists(SEPARATORS, min_size=len(words), max_size=len(words)))
    text, spans = "", []
    for word, separator in zip(words, separators, strict=True):
        spans.append((len(text), len(text) + len(word)))
        text += word + separator
    first = draw(st.integers(0, len(words) - 5))
    last = draw(st.integers(first + 4, min(len(words) - 1, first + 40)))
    return text, spans, first, last


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source_and_passage())
def test_any_passage_of_five_words_is_found(case) -> None:
    text, spans, first, last = case
    passage = text[spans[first][0] : spans[last][1]]
    result = check_quote(passage, text)
    assert result.verdict == "found" and result.closest == passage and result.similarity == 1.0


def _retypeset(passage: str, data: st.DataObject) -> str:
    swaps = {'"': "„“”«»", "-": "–—‑", " ": [" ", "\n", "  ", "\u00a0"], "'": "’‘"}
    out = []
    for char in passage:
        choices = swaps.get(char)
        out.append(
            data.draw(st.sampled_from(list(choices))) if choices and data.draw(st.booleans()) else char
        )
    retyped = "".join(out)
    return retyped.upper() if data.draw(st.booleans()) else retyped


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source_and_passage(), st.data())
def test_retypeset_passages_are_found_normalised(case, data: st.DataObject) -> None:
    text, spans, first, last = case
    passage = text[spans[first][0] : spans[last][1]]
    retyped = _retypeset(passage, data)
    result = check_quote(retyped, text)
    assert result.verdict == ("found" if retyped in text else "found_normalised")
    assert result.similarity == 1.0
    # and the other way round: the page re-typeset, the quote as the analyst copied it
    assert check_quote(passage, text.replace('"', "„").replace("-", "–")).verdict in (
        "found",
        "found_normalised",
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source_and_passage(), st.data())
def test_a_changed_word_is_not_found_and_the_rest_is_closest(case, data: st.DataObject) -> None:
    text, spans, first, last = case
    word_start, word_end = spans[data.draw(st.integers(first, last))]
    word = re.search(r"\w+", text[word_start:word_end])
    assume(word is not None)
    assert word is not None
    cut, cut_end = word_start + word.start(), word_start + word.end()
    before, after = text[spans[first][0] : cut], text[cut_end : spans[last][1]]
    assume(re.search(r"\w", before + after))
    result = check_quote(before + "Xylophonq" + after, text)
    tokens = len(re.findall(r"\w+|[^\w\s\"'„“”«»‚‘’–—‑-]", before + "x" + after))
    assert result.verdict == "not_found"
    assert result.similarity >= (tokens - 1) / tokens - 1e-3
    rest = re.findall(r"\w+", before + " " + after)
    iterator = iter(re.findall(r"\w+", result.closest))
    assert all(word in iterator for word in rest), (rest, result.closest)  # the rest, in order


def test_speed_on_a_20_kb_page() -> None:
    site = Site(ReplicaConfig())
    text = "\n\n".join("\n".join(a.paragraphs) for a in site.articles("eng.sectsco.org"))
    text = (text * (20_000 // len(text) + 1))[:20_000]
    words = text.split()
    quotes = []
    for index in range(40):
        start = (index * 977) % (len(words) - 80)
        passage = words[start : start + 10 + index]
        passage[len(passage) // 2] = "Xylophonq"
        quotes.append(" ".join(passage))
    started = time.perf_counter()
    results = [check_quote(quote, text) for quote in quotes]
    per_quote = (time.perf_counter() - started) / len(quotes)
    assert all(r.verdict == "not_found" and r.similarity > 0.8 for r in results)
    assert per_quote < 0.05, f"{per_quote * 1000:.1f} ms per quote"


@pytest.mark.parametrize(
    ("stated", "published", "days", "verdict"),
    [
        (date(2021, 6, 16), date(2021, 6, 15), 1, "off"),  # the example: the event day, not publication
        (date(2021, 6, 7), date(2021, 6, 7), 0, "match"),
        (date(2021, 6, 4), date(2021, 6, 7), -3, "off"),
        (date(2021, 6, 11), date(2021, 6, 7), 4, "contradicts"),
        (date(2021, 3, 22), date(2021, 6, 7), -77, "contradicts"),
        (None, date(2021, 6, 7), None, "none"),
        (date(2021, 6, 7), None, None, "none"),
        (date(2021, 6, 15), datetime(2021, 6, 15, 23, 59), 0, "match"),
    ],
)
def test_check_date(stated, published, days, verdict) -> None:
    result = check_date(stated, published)
    assert (result.days_off, result.verdict) == (days, verdict)
    assert result.published is None or type(result.published) is date
