"""URL canonicalisation, SURT keys, --connect-to parsing and the SCO profile's rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoarchive.core.profile import Action, ProfileError, load_profile
from scoarchive.core.urls import ConnectTo, InvalidURL, canonicalize, surt_key

SCO = load_profile("sco")


def test_canonical_form_drops_what_the_server_cannot_see() -> None:
    url = "HTTP://Eng.SectSCO.org:80/20210615/765514.html?utm_source=x&utm_medium=y&fbclid=z#comments"
    assert SCO.canonicalize(url) == "http://eng.sectsco.org/20210615/765514.html"
    assert (
        SCO.canonicalize("http://eng.sectsco.org/news/?offset=10") == "http://eng.sectsco.org/news/?offset=10"
    )
    assert SCO.canonicalize("http://eng.sectsco.org") == "http://eng.sectsco.org/"


@given(st.lists(st.sampled_from(["a=1", "utm_source=x", "b=", "offset=20", "gclid=q"]), max_size=4))
def test_canonicalize_is_idempotent(params: list[str]) -> None:
    url = "http://eng.sectsco.org/news/" + ("?" + "&".join(params) if params else "")
    once = SCO.canonicalize(url)
    assert SCO.canonicalize(once) == once
    assert "utm_" not in once and "gclid" not in once


def test_surt_matches_reference() -> None:
    assert (
        surt_key("http://eng.sectsco.org/news/20210615/765514.html")
        == "org,sectsco,eng)/news/20210615/765514.html"
    )


@pytest.mark.parametrize("bad", ["ftp://x/", "not a url", "http://", "http://exa mple.com/", "http://[::1/"])
def test_invalid_urls_are_refused(bad: str) -> None:
    with pytest.raises(InvalidURL):
        canonicalize(bad)


def test_connect_to_parsing() -> None:
    rule = ConnectTo.parse("eng.sectsco.org:80:127.0.0.1:8000")
    assert rule.matches("ENG.sectsco.org", 80) and not rule.matches("eng.sectsco.org", 443)
    assert ConnectTo.parse("::127.0.0.1:9").matches("anything.example", 1234)
    for bad in ("a:b", "h:80:127.0.0.1:0", "h:x:127.0.0.1:80", "h:80::80"):
        with pytest.raises(ValueError, match="--connect-to"):
            ConnectTo.parse(bad)


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ("/", Action.FOLLOW),
        ("/news/?offset=20", Action.FOLLOW),
        ("/documents/", Action.FOLLOW),
        ("/20210615/765514.html", Action.FOLLOW),
        ("/images/docs/4001.pdf", Action.CAPTURE),
        ("/css/main.css", Action.REQUISITE),
        ("/calendar/2021/06/", Action.IGNORE),
        ("/search/?q=sco", Action.IGNORE),
    ],
)
def test_sco_rules(path: str, action: Action) -> None:
    assert SCO.action_for("http://eng.sectsco.org" + path) is action


def test_off_scope_is_ignored() -> None:
    assert SCO.action_for("https://twitter.com/intent/tweet") is Action.IGNORE


@pytest.mark.parametrize(
    "address",
    [
        "http://eng.sectsco.org/news/20210615/765514.html",
        "https://eng.sectsco.org/20210615/765514.html",
        "http://eng.sectsco.org/about_sco/20210615/765514.html",
    ],
)
def test_article_identity_survives_the_redesign(address: str) -> None:
    assert SCO.article_key(address) == "eng.sectsco.org/765514"
    assert SCO.current_url(address).endswith("eng.sectsco.org/20210615/765514.html")


def test_russian_old_form_with_slug() -> None:
    old = "http://rus.sectsco.org/political/20210615/765514/Slug.html"
    assert SCO.article_key(old) == "rus.sectsco.org/765514"
    assert SCO.current_url(old) == "http://rus.sectsco.org/20210615/765514.html"


def test_unknown_and_invalid_profiles(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ProfileError, match="unknown profile"):
        load_profile("nosuch")
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'name = "x"\nhosts = ["a"]\nstart_urls = []\nrules = [{name = "r", pattern = "(", action = "follow"}]'
    )
    with pytest.raises(ProfileError, match=r"bad\.toml.*invalid regular expression"):
        load_profile(str(bad))


_URL_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
_URLS = st.one_of(
    st.text(_URL_CHARS, max_size=80),
    st.builds(
        lambda scheme, host, port, path, query, fragment: f"{scheme}://{host}{port}{path}{query}{fragment}",
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        st.one_of(
            st.sampled_from(["eng.sectsco.org", "Eng.SectSCO.org.", "[::1]", "127.0.0.1", "xn--80a"]),
            st.text(_URL_CHARS, max_size=20),
        ),
        st.one_of(
            st.just(""),
            st.integers(-5, 70000).map(lambda n: f":{n}"),
            st.text(max_size=5).map(lambda t: f":{t}"),
        ),
        st.text(_URL_CHARS, max_size=30).map(lambda t: "/" + t),
        st.one_of(st.just(""), st.text(_URL_CHARS, max_size=30).map(lambda t: "?" + t)),
        st.one_of(st.just(""), st.text(_URL_CHARS, max_size=10).map(lambda t: "#" + t)),
    ),
)


@given(_URLS)
def test_canonicalize_never_raises_but_invalid_url_and_is_idempotent(url: str) -> None:
    try:
        once = SCO.canonicalize(url)
    except InvalidURL:
        return
    assert SCO.canonicalize(once) == once
    assert "#" not in once


@given(_URLS)
def test_surt_of_a_canonical_url_is_stable(url: str) -> None:
    try:
        once = SCO.canonicalize(url)
    except InvalidURL:
        return
    try:
        key = surt_key(once)
    except InvalidURL:
        return  # the surt library reads no IPv6 literal; InvalidURL is the one error allowed
    assert key == surt_key(SCO.canonicalize(once)) and ")" in key
