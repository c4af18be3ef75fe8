"""Deterministic model of the three SCO news sites: pages, faults and versions, without sockets.

Everything the server sends is decided here, so tests can compare a crawl against ground truth
(``articles()``, ``documents()``, ``expected_urls()``) and two ``Site`` objects built from the same
config produce byte-identical pages. The server only moves bytes.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import html
import random
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, quote

from scoarchive.replica import content
from scoarchive.replica.content import LABELS

HOSTS = ("eng.sectsco.org", "rus.sectsco.org", "chn.sectsco.org")
LANGUAGE = dict(zip(HOSTS, ("en", "ru", "zh"), strict=True))
CHARSET = {"en": "utf-8", "ru": "windows-1251", "zh": "gb18030"}
# The real site declares the Russian and Chinese charsets only in <meta>, never in the header.
HTML_TYPE = {"en": "text/html; charset=utf-8", "ru": "text/html", "zh": "text/html"}
MOSCOW = timezone(timedelta(hours=3))
PAGE_SIZE = 10
HOME_ITEMS = 5
DISALLOWED_PREFIXES = ("/search/", "/private/")
TRACKING_QUERY = "utm_source=twitter&utm_medium=social&utm_campaign=x"
RELATED_QUERY = "utm_source=related&utm_medium=web"
PARTNER_URL = "http://partner.example.org/landing.html"
FAULT_HOST = "eng.sectsco.org"
FAULT_PATHS = {
    "transient_503": "/20230101/900001.html",
    "permanent_500": "/20230102/900002.html",
    "slow": "/20230103/900003.html",
    "redirect_chain": "/20230104/900004.html",
    "redirect_loop": "/20230105/900005.html",
    "offsite_redirect": "/20230106/900006.html",
    "gzip_bomb": "/20230107/900007.html",
    "large_file": "/images/docs/large.pdf",
}
FAULT_PATHS_BY_ID = {
    int(p.rsplit("/", 1)[1].removesuffix(".html")): p for p in FAULT_PATHS.values() if p.endswith(".html")
}
REDIRECT_TARGET = "/20210607/765371.html"
REDIRECTS = {  # path -> (status, location); the first three form the in-scope chain
    "/redirect/1": (302, "/redirect/2"),
    "/redirect/2": (301, REDIRECT_TARGET),
    "/loop/a": (302, "/loop/b"),
    "/loop/b": (302, "/loop/a"),
}
FAULT_REDIRECTS = {
    900004: (301, "/redirect/1"),
    900005: (302, "/loop/a"),
    900006: (302, PARTNER_URL),
}
TRANSIENT_FAILURES = 2
FAULT_IDS = tuple(range(900001, 900008))
NAV_PAGES = {  # host -> ids of About SCO, Secretariat, Contacts (dated 2016-01-01 .. 03)
    "eng.sectsco.org": (1001, 1002, 1003),
    "rus.sectsco.org": (1004, 1005, 1006),
    "chn.sectsco.org": (1007, 1008, 1009),
}
NAV_DATES = (date(2016, 1, 1), date(2016, 1, 2), date(2016, 1, 3))
EPOCH = datetime(2016, 1, 1, tzinfo=UTC)  # Last-Modified of assets that never change
SOCIAL = (
    ("Twitter", "https://twitter.com/intent/tweet?url="),
    ("VK", "https://vk.com/share.php?url="),
    ("Facebook", "https://www.facebook.com/sharer.php?u="),
    ("Telegram", "https://t.me/share/url?url="),
)

WANG_YI_QUOTE = (
    '"By resolutely upholding multilateralism, we contribute to the political settlement of hot '
    "spots, we use the single SCO voice to promote the formation of a new type of international "
    'relations and a community of common destiny for humankind."'
)
ALIBABA_PARAGRAPHS = (
    "On 7 June 2021, SCO Secretary-General Vladimir Norov had an online meeting with the Alibaba "
    "Group delegation.",
    "The discussion covered the large IT company's cooperation with the SCO member states that are "
    "interested in promoting and developing e-commerce and the digital economy.",
    "Vladimir Norov noted that documents had been adopted within the SCO aimed at developing the IT "
    "sector in the SCO space.",
    '"The SCO member states are developing other draft documents aimed above all at unlocking the '
    "potential and using existing opportunities to increase the digitalisation in our countries. "
    "A number of important events have been scheduled during our anniversary year to discuss ways "
    "and mechanisms to develop the digital economy and e-commerce, involving the officials "
    "responsible for developing this field as well as the expert community and companies directly "
    'involved in e-commerce," he noted.',
)
# (id, date, title, fixed paragraphs, generated paragraphs appended)
FIXED_ARTICLES = (
    (
        765514,
        date(2021, 6, 15),
        "SCO celebrates its 20th anniversary",
        (
            "On 15 June 2021, the Shanghai Cooperation Organisation marked the 20th anniversary of "
            "the signing of the Declaration on its establishment.",
            "Congratulatory messages were received from the foreign ministers of the SCO member states.",
            f"Chinese Foreign Minister Wang Yi said: {WANG_YI_QUOTE}",
        ),
        2,
    ),
    (
        765371,
        date(2021, 6, 7),
        "SCO Secretary-General’s videoconference with Alibaba Group delegation",
        ALIBABA_PARAGRAPHS,
        0,
    ),
)
RESERVED_IDS = frozenset(
    {a[0] for a in FIXED_ARTICLES} | set(FAULT_IDS) | {i for ids in NAV_PAGES.values() for i in ids}
)

_ARTICLE_RE = re.compile(r"/(\d{8})/(\d+)\.html")
_PHOTO_RE = re.compile(r"/images/photos/(\d+)_(\d+)\.jpg")
_DOC_RE = re.compile(r"/images/docs/(\d+)\.pdf")
_CALENDAR_RE = re.compile(r"/calendar/(\d{4})/(\d{2})/")


@dataclass(frozen=True)
class ReplicaConfig:
    """Knobs of the replica; the defaults are what ``scoarchive demo`` and benchmarks use."""

    articles_per_host: int = 30
    documents_per_host: int = 6
    faults: bool = True
    seed: int = 2021
    slow_seconds: float = 1.5
    large_file_bytes: int = 5 * 2**20
    bomb_bytes: int = 200 * 2**20


@dataclass(frozen=True)
class ArticleTruth:
    """Ground truth of one article page, for testing extraction and citation resolution.

    ``kind`` is "news", "page" (the About/Secretariat/Contacts pages in the menu, which share the
    article URL pattern) or "fault" (the transient-503 and slow fault pages once they answer 200).
    """

    host: str
    article_id: int
    url: str
    published: date
    language: str
    title: str
    paragraphs: tuple[str, ...]
    boilerplate: tuple[str, ...]
    kind: str


@dataclass(frozen=True)
class DocumentTruth:
    """One PDF of a documents listing; ``url`` is the listing page that links it."""

    host: str
    doc_id: int
    url: str
    title: str
    pdf_url: str
    published: date
    language: str


@dataclass(frozen=True)
class SiteChange:
    """What one ``Site.mutate()`` did, as absolute URLs."""

    added: list[str]
    edited: str
    deleted: str


@dataclass(frozen=True)
class Response:
    """An HTTP answer decided by the site; ``stream`` replaces ``body`` for the large file."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""
    stream: Callable[[], Iterator[bytes]] | None = None
    delay: float = 0.0


class RequestCounter:
    """Thread-safe per-key hit counter; the transient-503 fault counts requests with it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, int] = {}

    def hit(self, key: str) -> int:
        """Count one request for ``key`` and return how many there have been, this one included."""
        with self._lock:
            self._hits[key] = self._hits.get(key, 0) + 1
            return self._hits[key]


@dataclass(frozen=True)
class _Article:
    host: str
    article_id: int
    day: date
    kind: str
    title: str
    paragraphs: tuple[str, ...]
    captions: tuple[str, ...]
    search_word: str
    related: tuple[tuple[str, str], ...]  # (path, title) of never-deleted articles
    modified: datetime

    @property
    def lang(self) -> str:
        return LANGUAGE[self.host]

    @property
    def path(self) -> str:
        return f"/{self.day:%Y%m%d}/{self.article_id}.html"

    @property
    def url(self) -> str:
        return f"http://{self.host}{self.path}"

    @property
    def teaser(self) -> str:
        """First sentence of the lead; edits never touch the lead, so listings stay stable."""
        lead = self.paragraphs[0]
        end = lead.find("。") + 1 if self.lang == "zh" else lead.find(". ") + 1
        return lead[:end] if end > 0 else lead

    def photo_paths(self) -> list[str]:
        return [f"/images/photos/{self.article_id}_{n}.jpg" for n in range(1, len(self.captions) + 1)]

    def truth(self) -> ArticleTruth:
        labels = LABELS[self.lang]
        extra: list[str] = []
        if self.kind != "page":
            extra = [
                *self.captions,
                labels.share,
                *(name for name, _ in SOCIAL),
                labels.related,
                *(title for _, title in self.related),
                labels.search.format(q=self.search_word),
                _month_label(self.lang, self.day.year, self.day.month),
            ]
        boilerplate = (
            *labels.nav,
            *(LABELS[LANGUAGE[h]].language_name for h in HOSTS if h != self.host),
            f"{self.day:%d.%m.%Y}",
            *extra,
            *labels.footer,
        )
        return ArticleTruth(
            host=self.host,
            article_id=self.article_id,
            url=self.url,
            published=self.day,
            language=self.lang,
            title=self.title,
            paragraphs=self.paragraphs,
            boilerplate=boilerplate,
            kind=self.kind,
        )


@dataclass(frozen=True)
class _Story:
    """Language-neutral plan of one story; each host renders it in its own language."""

    day: date
    title: content.TitleKey
    paragraphs: tuple[tuple[content.Sentence, ...], ...]
    figures: tuple[int, ...]  # caption city per photo


@dataclass
class _Page:
    """One cached representation: identity bytes, validators and a lazily gzipped copy."""

    body: bytes
    content_type: str
    last_modified: datetime
    compressible: bool = False
    content_encoding: str | None = None
    stream_size: int | None = None
    etag: str = ""
    _gzipped: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not self.etag:
            self.etag = hashlib.sha256(self.body).hexdigest()[:24]

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, mtime=0)
        return self._gzipped


@dataclass(frozen=True)
class _State:
    """One immutable version of the site; readers grab it once so a mutate never tears a page."""

    version: int
    articles: dict[int, _Article]
    news: dict[str, tuple[int, ...]]  # host -> news ids, newest first
    pages: dict[tuple[object, ...], _Page] = field(default_factory=dict)  # version-bound cache


def _month_label(lang: str, year: int, month: int) -> str:
    labels = LABELS[lang]
    return labels.calendar.format(month=labels.months[month - 1], year=year)


def _listing_path(base: str, offset: int) -> str:
    return base if offset == 0 else f"{base}?offset={offset}"


def _accepts_gzip(value: str) -> bool:
    for part in value.split(","):
        name, _, params = part.partition(";")
        if name.strip().lower() in ("gzip", "x-gzip"):
            q = params.strip().removeprefix("q=").strip()
            return not q or _float(q) > 0
    return False


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return 0.0


def _not_modified(req: Mapping[str, str], page: _Page) -> bool:
    """RFC 9110 13.2.2: If-None-Match wins; If-Modified-Since only counts without it."""
    inm = req.get("if-none-match")
    if inm is not None:
        tags = {tag.strip().removeprefix("W/") for tag in inm.split(",")}
        return bool(tags & {"*", f'"{page.etag}"', f'"{page.etag}-gzip"'})
    ims = req.get("if-modified-since")
    if not ims:
        return False
    try:
        since = parsedate_to_datetime(ims)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return page.last_modified <= since


def _plain(status: int, body: str, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    data = body.encode()
    headers = (
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Length", str(len(data))),
        *extra,
    )
    return Response(status, headers, data)


def _redirect(status: int, location: str) -> Response:
    link = html.escape(location)
    return _plain(
        status, f'<!DOCTYPE html><p>Moved: <a href="{link}">{link}</a></p>\n', (("Location", location),)
    )


class Site:
    """The replica's content and behaviour; thread-safe, deterministic for a given config."""

    def __init__(self, config: ReplicaConfig | None = None) -> None:
        self.config = config or ReplicaConfig()
        self._lock = threading.Lock()
        self._counter = RequestCounter()
        self._titles: set[content.TitleKey] = set()
        self._used_ids: set[int] = set(RESERVED_IDS)
        self._last_id = 700_000
        self._dates: dict[int, date] = {}
        self._static: dict[tuple[object, ...], _Page] = {}
        self._story_count = self.config.articles_per_host
        self._documents, self._doc_titles_en = self._build_documents()
        self._doc_index = {(d.host, d.doc_id): d for d in self._documents}
        articles, self._anchors, self._protected = self._build_initial()
        news = self._news_index(articles)
        clock = datetime.combine(max(self._dates.values()), time(12), UTC)
        self._history: list[tuple[datetime, dict[str, tuple[int, ...]]]] = [(clock, news)]
        self._state = _State(0, articles, news)

    # -- public ground truth ------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Number of ``mutate()`` calls so far; 0 is the site as first built."""
        return self._state.version

    def articles(self, host: str | None = None, kind: str | None = "news") -> list[ArticleTruth]:
        """Live article pages, hosts in ``HOSTS`` order, newest first; ``kind=None`` gives all."""
        state = self._state
        found = [
            a
            for a in state.articles.values()
            if (host is None or a.host == host) and (kind is None or a.kind == kind)
        ]
        found.sort(key=lambda a: (HOSTS.index(a.host), -a.day.toordinal(), -a.article_id))
        return [a.truth() for a in found]

    def documents(self, host: str | None = None) -> list[DocumentTruth]:
        """Listed PDFs (not the large-file fault), hosts in order, newest first."""
        return [d for d in self._documents if host is None or d.host == host]

    def expected_urls(self) -> set[str]:
        """Every URL a polite, correctly scoped crawler starting at the three home pages fetches.

        Canonical form (no tracking parameters, no fragment). Excludes robots-disallowed paths,
        the infinite calendar, social-media and partner hosts.
        """
        state = self._state
        urls: set[str] = set()
        for host in HOSTS:
            base = f"http://{host}"
            urls |= {f"{base}{p}" for p in ("/", "/robots.txt", "/css/main.css", "/images/logo.png")}
            for offset in range(0, max(len(state.news[host]), 1), PAGE_SIZE):
                urls.add(base + _listing_path("/news/", offset))
            docs = self.documents(host)
            for offset in range(0, max(len(docs), 1), PAGE_SIZE):
                urls.add(base + _listing_path("/documents/", offset))
            urls |= {d.pdf_url for d in docs}
        for art in state.articles.values():
            urls.add(art.url)
            urls |= {f"http://{art.host}{p}" for p in art.photo_paths()}
        if self.config.faults:
            base = f"http://{FAULT_HOST}"
            urls |= {base + p for p in FAULT_PATHS.values()}
            urls |= {base + p for p in REDIRECTS}
        return urls

    # -- building ---------------------------------------------------------------------------------

    def _alloc_id(self, rng: random.Random) -> int:
        """Next article id: increasing with publication order, skipping reserved ids."""
        candidate = self._last_id + rng.randint(3, 40)
        while candidate in self._used_ids:
            candidate += 1
        self._used_ids.add(candidate)
        self._last_id = candidate
        return candidate

    def _story(self, key: str, day: date) -> _Story:
        rng = random.Random(f"{self.config.seed}:story:{key}")
        title = content.plan_title(rng)
        for _ in range(50):  # distinct headlines while the 3,500 combinations last
            if title not in self._titles:
                break
            title = content.plan_title(rng)
        self._titles.add(title)
        paragraphs = tuple(content.plan_paragraph(rng) for _ in range(rng.randint(3, 8)))
        figures = tuple(rng.randrange(len(content.CITIES)) for _ in range(rng.randint(1, 2)))
        return _Story(day, title, paragraphs, figures)

    def _render_story(self, story: _Story, host: str, article_id: int, kind: str = "news") -> _Article:
        """An article without related links yet (those need the anchors, see ``_relate``)."""
        lang = LANGUAGE[host]
        self._dates[article_id] = story.day
        return _Article(
            host=host,
            article_id=article_id,
            day=story.day,
            kind=kind,
            title=content.render_title(story.title, lang),
            paragraphs=tuple(content.render_paragraph(p, lang) for p in story.paragraphs),
            captions=tuple(content.render_caption(n, city, lang) for n, city in enumerate(story.figures, 1)),
            search_word=content.topic_word(story.title, lang),
            related=(),
            modified=datetime.combine(story.day, time(7), UTC),
        )

    def _relate(self, art: _Article, anchors: dict[str, list[_Article]]) -> _Article:
        """Pick up to 3 related articles among the anchors, from the article's own id only.

        Anchors are never deleted and their titles never change, so related blocks are stable.
        """
        pool = [a for a in anchors[art.host] if a.article_id != art.article_id]
        rng = random.Random(f"{self.config.seed}:related:{art.article_id}")
        chosen = rng.sample(pool, min(3, len(pool)))
        return dataclasses.replace(art, related=tuple((a.path, a.title) for a in chosen))

    def _build_initial(
        self,
    ) -> tuple[dict[int, _Article], dict[str, list[_Article]], frozenset[int]]:
        """Generated stories, the fixed briefing articles, nav pages and fault articles.

        Returns the articles, the anchors per host (every third generated story and the fixed
        articles: related-link targets, never edited or deleted) and the anchor ids.
        """
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:ids")
        start, span = date(2019, 1, 1), (date(2024, 12, 31) - date(2019, 1, 1)).days
        drafts: list[_Article] = []
        anchor_ids: set[int] = set()
        for i in range(cfg.articles_per_host):
            day = start + timedelta(days=int((i + rng.random()) * span / cfg.articles_per_host))
            story = self._story(str(i), day)
            for host in HOSTS:
                art = self._render_story(story, host, self._alloc_id(rng))
                drafts.append(art)
                if i % 3 == 0:
                    anchor_ids.add(art.article_id)
        for article_id, day, title, fixed, generated in FIXED_ARTICLES:
            story = self._story(f"fixed:{article_id}", day)
            art = self._render_story(story, FAULT_HOST, article_id)
            paragraphs = fixed + art.paragraphs[:generated]
            drafts.append(dataclasses.replace(art, title=title, paragraphs=paragraphs))
            anchor_ids.add(article_id)
        for host in HOSTS:
            for n, (article_id, day) in enumerate(zip(NAV_PAGES[host], NAV_DATES, strict=True)):
                art = self._render_story(self._story(f"nav:{article_id}", day), host, article_id)
                intro = LABELS[art.lang].nav_intro[n]
                drafts.append(
                    dataclasses.replace(
                        art,
                        kind="page",
                        title=LABELS[art.lang].nav[3 + n],
                        paragraphs=(intro, *art.paragraphs[:2]),
                        captions=(),
                    )
                )
        if cfg.faults:
            for article_id in (900001, 900003):
                day = date(2023, 1, article_id - 900000)
                story = self._story(f"fault:{article_id}", day)
                drafts.append(self._render_story(story, FAULT_HOST, article_id, kind="fault"))
        anchors: dict[str, list[_Article]] = {h: [] for h in HOSTS}
        for art in sorted(drafts, key=lambda a: a.article_id):
            if art.article_id in anchor_ids:
                anchors[art.host].append(art)
        articles = {a.article_id: self._relate(a, anchors) for a in drafts}
        return articles, anchors, frozenset(anchor_ids)

    def _build_documents(self) -> tuple[list[DocumentTruth], dict[int, str]]:
        """Documents are parallel across hosts (own ids); PDFs carry the English title as text."""
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:documents")
        start, span = date(2019, 3, 1), (date(2024, 11, 30) - date(2019, 3, 1)).days
        docs: list[DocumentTruth] = []
        titles_en: dict[int, str] = {}
        next_id = 400_000
        plans = []
        for j in range(cfg.documents_per_host):
            day = start + timedelta(days=int((j + rng.random()) * span / cfg.documents_per_host))
            plans.append((day, rng.randrange(4), rng.randrange(3), rng.randrange(10)))
        for host in HOSTS:
            lang = LANGUAGE[host]
            for n, (day, kind, body, city) in enumerate(sorted(plans, reverse=True)):
                next_id += rng.randint(1, 9)
                listing = _listing_path("/documents/", n // PAGE_SIZE * PAGE_SIZE)
                docs.append(
                    DocumentTruth(
                        host=host,
                        doc_id=next_id,
                        url=f"http://{host}{listing}",
                        title=content.render_doc_title(kind, body, city, lang),
                        pdf_url=f"http://{host}/images/docs/{next_id}.pdf",
                        published=day,
                        language=lang,
                    )
                )
                titles_en[next_id] = content.render_doc_title(kind, body, city, "en")
        return docs, titles_en

    @staticmethod
    def _news_index(articles: Mapping[int, _Article]) -> dict[str, tuple[int, ...]]:
        news: dict[str, list[_Article]] = {h: [] for h in HOSTS}
        for art in articles.values():
            if art.kind == "news":
                news[art.host].append(art)
        return {
            h: tuple(a.article_id for a in sorted(items, key=lambda a: (a.day, a.article_id), reverse=True))
            for h, items in news.items()
        }

    # -- versions -------------------------------------------------------------------------------

    def mutate(self) -> SiteChange:
        """Advance one version: 3 new stories per host, one English edit and one English delete.

        Edited and deleted articles are chosen among English news that are not anchors (so no
        related block ever changes) and not the fixed briefing articles. Thread-safe: the new
        version is built aside and published with one reference swap.
        """
        with self._lock:
            old = self._state
            version = old.version + 1
            rng = random.Random(f"{self.config.seed}:mutate:{version}")
            candidates = sorted(
                a.article_id
                for a in old.articles.values()
                if a.host == FAULT_HOST and a.kind == "news" and a.article_id not in self._protected
            )
            if len(candidates) < 2:
                raise RuntimeError("site too small to mutate: use articles_per_host >= 3")
            deleted = rng.choice(candidates)
            edited = rng.choice([c for c in candidates if c != deleted])
            newest = max(self._dates.values())  # never shrinks, so the clock only moves forward
            articles = dict(old.articles)
            added: list[str] = []
            for k in range(3):
                story = self._story(str(self._story_count), newest + timedelta(days=k + 1))
                self._story_count += 1
                for host in HOSTS:
                    art = self._relate(self._render_story(story, host, self._alloc_id(rng)), self._anchors)
                    articles[art.article_id] = art
                    added.append(art.url)
            clock = datetime.combine(newest + timedelta(days=3), time(12), UTC)
            target = articles[edited]
            paragraphs = list(target.paragraphs)
            paragraphs[1] = content.render_paragraph(content.plan_paragraph(rng), "en")
            articles[edited] = dataclasses.replace(target, paragraphs=tuple(paragraphs), modified=clock)
            deleted_url = articles.pop(deleted).url
            news = self._news_index(articles)
            self._history.append((clock, news))
            self._state = _State(version, articles, news)
            return SiteChange(added=added, edited=articles[edited].url, deleted=deleted_url)

    def _stable_since(self, state: _State, key: Callable[[dict[str, tuple[int, ...]]], object]) -> datetime:
        """Clock of the oldest version since which ``key`` of the news index has not changed.

        Gives listings a Last-Modified that is a pure function of the version history.
        """
        current = key(self._history[state.version][1])
        since = state.version
        while since > 0 and key(self._history[since - 1][1]) == current:
            since -= 1
        return self._history[since][0]

    # -- HTTP -----------------------------------------------------------------------------------

    def response(
        self,
        host: str,
        path_qs: str,
        headers: Mapping[str, str],
        counter: RequestCounter | None = None,
    ) -> Response:
        """Answer one GET/HEAD (the server drops the body for HEAD).

        ``counter`` scopes the transient-503 fault; each ReplicaServer passes its own.
        """
        state = self._state
        host = host.partition(":")[0].lower()
        path, _, query = path_qs.partition("#")[0].partition("?")
        req = {k.lower(): v for k, v in headers.items()}
        if host not in HOSTS:
            return _plain(404, "<!DOCTYPE html><p>Unknown host</p>\n")
        faults = self.config.faults and host == FAULT_HOST
        page: _Page | None = None
        delay = 0.0
        if match := _ARTICLE_RE.fullmatch(path):
            article_id = int(match[2])
            if faults and article_id in FAULT_IDS and path == FAULT_PATHS_BY_ID[article_id]:
                fault = self._fault(article_id, host, path, req, counter or self._counter)
                if fault is not None:
                    return fault
                delay = self.config.slow_seconds if article_id == 900003 else 0.0
            art = state.articles.get(article_id)
            if art is not None and art.host == host and art.path == path:
                page = self._article_page(art)
        elif path == "/":
            page = self._home_page(state, host)
        elif path in ("/news/", "/documents/"):
            page = self._listing(state, host, path, query)
        elif match := _PHOTO_RE.fullmatch(path):
            art = state.articles.get(int(match[1]))
            if art is not None and art.host == host and path in art.photo_paths():
                page = self._cached(("photo", path), lambda: self._photo(art, path))
        elif match := _DOC_RE.fullmatch(path):
            page = self._document(host, int(match[1]))
        elif match := _CALENDAR_RE.fullmatch(path):
            year, month = int(match[1]), int(match[2])
            if year >= 1 and 1 <= month <= 12:
                page = self._calendar(state, host, year, month)
        elif path == "/robots.txt":
            page = self._cached(("robots",), _robots)
        elif path == "/css/main.css":
            page = self._cached(("css",), lambda: _Page(content.CSS, "text/css", EPOCH, True))
        elif path == "/images/logo.png":
            page = self._cached(
                ("logo",), lambda: _Page(content.png_bytes((11, 61, 145)), "image/png", EPOCH)
            )
        elif path.startswith("/search/"):
            page = self._search(host, query)
        elif path == "/private/admin.html":
            page = self._cached(
                ("private", host), lambda: self._simple(host, LABELS[LANGUAGE[host]].restricted)
            )
        elif faults and path == FAULT_PATHS["large_file"]:
            page = self._large_file()
        elif faults and path in REDIRECTS:
            return _redirect(*REDIRECTS[path])
        if page is None:
            body = self._cached(
                ("404", host), lambda: self._simple(host, LABELS[LANGUAGE[host]].not_found)
            ).body
            return Response(
                404, (("Content-Type", HTML_TYPE[LANGUAGE[host]]), ("Content-Length", str(len(body)))), body
            )
        return self._finish(page, req, delay)

    def _fault(
        self,
        article_id: int,
        host: str,
        path: str,
        req: Mapping[str, str],
        counter: RequestCounter,
    ) -> Response | None:
        """The fault's own answer, or None when the page should be served normally."""
        if article_id == 900001:
            if counter.hit(f"{host}{path}") <= TRANSIENT_FAILURES:
                return _plain(
                    503, "<!DOCTYPE html><p>Service temporarily unavailable</p>\n", (("Retry-After", "1"),)
                )
            return None
        if article_id == 900002:
            return _plain(500, "<!DOCTYPE html><p>Internal server error</p>\n")
        if article_id in FAULT_REDIRECTS:
            return _redirect(*FAULT_REDIRECTS[article_id])
        if article_id == 900007:
            return self._finish(self._bomb(), req, 0.0)
        return None

    def _finish(self, page: _Page, req: Mapping[str, str], delay: float) -> Response:
        use_gzip = page.compressible and _accepts_gzip(req.get("accept-encoding", ""))
        etag = f'"{page.etag}-gzip"' if use_gzip else f'"{page.etag}"'
        headers = [("ETag", etag), ("Last-Modified", format_datetime(page.last_modified, usegmt=True))]
        if page.compressible:
            headers.append(("Vary", "Accept-Encoding"))
        if _not_modified(req, page):
            return Response(304, tuple(headers), delay=delay)
        body = page.gzipped() if use_gzip else page.body
        encoding = "gzip" if use_gzip else page.content_encoding
        if encoding:
            headers.append(("Content-Encoding", encoding))
        size = page.stream_size if page.stream_size is not None else len(body)
        headers += [("Content-Type", page.content_type), ("Content-Length", str(size))]
        stream = None
        if page.stream_size is not None:
            stream_size = page.stream_size
            stream = lambda: content.large_file_chunks(stream_size)  # noqa: E731
        return Response(200, tuple(headers), body, stream, delay)

    def _cached(self, key: tuple[object, ...], build: Callable[[], _Page]) -> _Page:
        """Version-independent cache; a race only builds the same bytes twice."""
        page = self._static.get(key)
        if page is None:
            page = self._static[key] = build()
        return page

    # -- pages ----------------------------------------------------------------------------------

    def _html_page(self, host: str, body: str, last_modified: datetime) -> _Page:
        lang = LANGUAGE[host]
        data = body.encode(CHARSET[lang], "xmlcharrefreplace")
        return _Page(data, HTML_TYPE[lang], last_modified, compressible=True)

    def _shell(self, host: str, title: str, main: str) -> str:
        """The page frame shared by every HTML page: head, menu, language switcher, footer."""
        lang = LANGUAGE[host]
        labels = LABELS[lang]
        nav_paths = ["/", "/news/", "/documents/"] + [
            f"/{d:%Y%m%d}/{i}.html" for i, d in zip(NAV_PAGES[host], NAV_DATES, strict=True)
        ]
        menu = "".join(
            f'<li><a href="{p}">{_t(label)}</a></li>' for p, label in zip(nav_paths, labels.nav, strict=True)
        )
        switch = " ".join(
            f'<a href="http://{h}/" hreflang="{LANGUAGE[h]}">{_t(LABELS[LANGUAGE[h]].language_name)}</a>'
            for h in HOSTS
            if h != host
        )
        copyright_, address, staff = labels.footer
        return (
            f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="{CHARSET[lang]}">\n'
            f"<title>{_t(title)} - {_t(labels.title_suffix)}</title>\n"
            '<link rel="stylesheet" href="/css/main.css">\n'
            f'<meta property="og:title" content="{_a(title)}">\n'
            f'<meta property="og:site_name" content="{_a(labels.site_name)}">\n</head>\n<body>\n'
            '<header class="site-header">\n'
            f'<a class="logo" href="/"><img src="/images/logo.png" alt="" width="16" height="16"></a>\n'
            f'<nav class="menu"><ul>{menu}</ul></nav>\n<nav class="languages">{switch}</nav>\n'
            f"</header>\n<main>\n{main}</main>\n"
            f'<footer class="site-footer">\n<p>{_t(copyright_)}</p>\n<p>{_t(address)}</p>\n'
            f'<p><a href="/private/admin.html">{_t(staff)}</a></p>\n</footer>\n</body>\n</html>\n'
        )

    def _article_page(self, art: _Article) -> _Page:
        return self._cached(("article", art.article_id, art.modified), lambda: self._render_article(art))

    def _render_article(self, art: _Article) -> _Page:
        labels = LABELS[art.lang]
        parts = [f"<article>\n<h1>{_t(art.title)}</h1>\n{_time(art.day)}\n"]
        photos = art.photo_paths()
        for n, paragraph in enumerate(art.paragraphs):
            parts.append(f"<p>{_t(paragraph)}</p>\n")
            if n < len(photos):  # photos sit after the first and second paragraphs
                parts.append(
                    f'<figure><img src="{photos[n]}" alt="">'
                    f"<figcaption>{_t(art.captions[n])}</figcaption></figure>\n"
                )
        parts.append("</article>\n")
        if art.kind != "page":
            share_target = quote(art.url, safe="")
            share = " ".join(f'<a href="{base}{share_target}">{name}</a>' for name, base in SOCIAL)
            related = "".join(
                f'<li><a href="{p}{"?" + _a(RELATED_QUERY) if n == 1 else ""}">{_t(t)}</a></li>'
                for n, (p, t) in enumerate(art.related)
            )
            parts.append(
                f'<div class="share">{_t(labels.share)} {share}</div>\n'
                f'<aside class="related"><h2>{_t(labels.related)}</h2><ul>{related}</ul></aside>\n'
                f'<p class="search"><a href="/search/?q={quote(art.search_word)}">'
                f"{_t(labels.search.format(q=art.search_word))}</a></p>\n"
                f'<p class="calendar"><a href="/calendar/{art.day:%Y/%m}/">'
                f"{_t(_month_label(art.lang, art.day.year, art.day.month))}</a></p>\n"
            )
        return self._html_page(art.host, self._shell(art.host, art.title, "".join(parts)), art.modified)

    def _items(self, state: _State, host: str, ids: tuple[int, ...], dupes: bool) -> str:
        """A news list; with ``dupes`` some items are also linked with tracking params/fragment."""
        comments = LABELS[LANGUAGE[host]].comments
        lines = []
        for n, article_id in enumerate(ids):
            art = state.articles[article_id]
            extra = ""
            if dupes and n % 5 == 0:
                extra = (
                    f' <a href="{art.path}?{_a(TRACKING_QUERY)}">Twitter</a>'
                    f' <a href="{art.path}#comments">{_t(comments)}</a>'
                )
            lines.append(
                f'<li>{_time(art.day)} <a href="{art.path}">{_t(art.title)}</a>{extra}'
                f'<p class="teaser">{_t(art.teaser)}</p></li>\n'
            )
        return "".join(lines)

    def _notices(self, host: str) -> str:
        """Links to the fault pages (English host, faults on): the crawler must meet them."""
        labels = LABELS[LANGUAGE[host]]
        links = "".join(
            f'<li><a href="{p}">{_t(labels.notices)} #{n}</a></li>'
            for n, p in enumerate(FAULT_PATHS.values(), 1)
            if p.endswith(".html")
        )
        return f'<aside class="notices"><h2>{_t(labels.notices)}</h2><ul>{links}</ul></aside>\n'

    def _home_page(self, state: _State, host: str) -> _Page:
        page = state.pages.get(("home", host))
        if page is None:
            labels = LABELS[LANGUAGE[host]]
            ids = state.news[host][:HOME_ITEMS]
            newest = state.articles[ids[0]].day if ids else date(2024, 12, 1)
            main = (
                f'<section class="latest"><h1>{_t(labels.latest)}</h1>\n<ul>\n'
                f"{self._items(state, host, ids, False)}</ul>\n"
                f'<p><a href="/news/">{_t(labels.all_news)}</a> '
                f'<a href="/documents/">{_t(labels.all_documents)}</a></p>\n'
                f'<p class="calendar"><a href="/calendar/{newest:%Y/%m}/">'
                f"{_t(_month_label(LANGUAGE[host], newest.year, newest.month))}</a></p>\n</section>\n"
            )
            if self.config.faults and host == FAULT_HOST:
                main += self._notices(host)
            modified = self._stable_since(state, lambda news: news[host][:HOME_ITEMS])
            page = state.pages[("home", host)] = self._html_page(
                host, self._shell(host, labels.site_name, main), modified
            )
        return page

    def _listing(self, state: _State, host: str, path: str, query: str) -> _Page | None:
        """``/news/`` or ``/documents/``, 10 items a page via ``?offset=N``; bad offsets 404."""
        values = parse_qs(query).get("offset", ["0"])
        if not values[0].isdigit():
            return None
        offset = int(values[0])
        key = (path, host, offset)
        page = state.pages.get(key) or self._static.get(key)
        if page is not None:
            return page
        labels = LABELS[LANGUAGE[host]]
        faults = self.config.faults and host == FAULT_HOST
        if path == "/news/":
            ids = state.news[host]
            total, heading = len(ids), labels.nav[1]
            items = self._items(state, host, ids[offset : offset + PAGE_SIZE], self.config.faults)
        else:
            docs = self.documents(host)
            total, heading = len(docs), labels.nav[2]
            items = "".join(
                f'<li>{_time(d.published)} <a href="{d.pdf_url.removeprefix(f"http://{host}")}">'
                f"{_t(d.title)}</a> (PDF)</li>\n"
                for d in docs[offset : offset + PAGE_SIZE]
            )
            if faults and offset == 0:
                size = self.config.large_file_bytes
                items += (
                    f'<li><a href="{FAULT_PATHS["large_file"]}">Collected SCO documents, '
                    f"2001–2021 (archive)</a> (PDF, {size / 2**20:.1f} MB)</li>\n"
                )
        if offset % PAGE_SIZE or (offset and offset >= total):
            return None
        pager = []
        if offset:
            pager.append(
                f'<a rel="prev" href="{_a(_listing_path(path, offset - PAGE_SIZE))}">{_t(labels.prev)}</a>'
            )
        if offset + PAGE_SIZE < total:
            pager.append(
                f'<a rel="next" href="{_a(_listing_path(path, offset + PAGE_SIZE))}">{_t(labels.next)}</a>'
            )
        main = (
            f'<h1>{_t(heading)}</h1>\n<ul class="listing">\n{items}</ul>\n'
            f'<nav class="pagination">{" ".join(pager)}</nav>\n'
        )
        if path == "/news/" and faults and offset == 0:
            main += self._notices(host)
        if path == "/news/":
            modified = self._stable_since(
                state,
                lambda news: (news[host][offset : offset + PAGE_SIZE], len(news[host]) > offset + PAGE_SIZE),
            )
            page = state.pages[key] = self._html_page(host, self._shell(host, heading, main), modified)
        else:
            modified = datetime.combine(
                max((d.published for d in self._documents), default=EPOCH.date()), time(12), UTC
            )
            page = self._static[key] = self._html_page(host, self._shell(host, heading, main), modified)
        return page

    def _calendar(self, state: _State, host: str, year: int, month: int) -> _Page:
        """The infinite calendar trap: every month exists and links to its neighbours."""
        lang = LANGUAGE[host]

        def in_month(news: dict[str, tuple[int, ...]]) -> tuple[int, ...]:
            return tuple(
                i for i in news[host] if (self._dates[i].year, self._dates[i].month) == (year, month)
            )

        ids = in_month(state.news)
        pager = []
        prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
        next_year, next_month = (year, month + 1) if month < 12 else (year + 1, 1)
        if prev_year >= 1:
            pager.append(
                f'<a rel="prev" href="/calendar/{prev_year:04d}/{prev_month:02d}/">'
                f"{_t(_month_label(lang, prev_year, prev_month))}</a>"
            )
        if next_year <= 9999:
            pager.append(
                f'<a rel="next" href="/calendar/{next_year:04d}/{next_month:02d}/">'
                f"{_t(_month_label(lang, next_year, next_month))}</a>"
            )
        title = _month_label(lang, year, month)
        main = (
            f'<h1>{_t(title)}</h1>\n<ul class="listing">\n{self._items(state, host, ids, False)}</ul>\n'
            f'<nav class="pagination">{" ".join(pager)}</nav>\n'
        )
        modified = self._stable_since(state, in_month)
        return self._html_page(host, self._shell(host, title, main), modified)

    def _simple(self, host: str, title: str, text: str = "") -> _Page:
        """Small pages: 404, the restricted area, search results (always empty)."""
        main = f"<h1>{_t(title)}</h1>\n" + (f"<p>{_t(text)}</p>\n" if text else "")
        return self._html_page(host, self._shell(host, title, main), EPOCH)

    def _search(self, host: str, query: str) -> _Page:
        """Robots-disallowed search: answers 200 so a crawler that ignores robots.txt is seen."""
        labels = LABELS[LANGUAGE[host]]
        word = parse_qs(query).get("q", [""])[0]
        return self._simple(host, labels.search.format(q=word), labels.no_results)

    def _photo(self, art: _Article, path: str) -> _Page:
        data = content.jpeg_bytes(path.rsplit("/", 1)[1].removesuffix(".jpg"))
        return _Page(data, "image/jpeg", datetime.combine(art.day, time(7), UTC))

    def _document(self, host: str, doc_id: int) -> _Page | None:
        doc = self._doc_index.get((host, doc_id))
        if doc is None:
            return None
        return self._cached(("pdf", doc_id), lambda: self._pdf(doc))

    def _pdf(self, doc: DocumentTruth) -> _Page:
        title_en = self._doc_titles_en[doc.doc_id]
        lines = [
            title_en,
            f"Shanghai Cooperation Organisation, {doc.published:%d.%m.%Y}",
            f"Document {doc.doc_id}",
        ]
        data = content.pdf_bytes(doc.title, lines)
        return _Page(data, "application/pdf", datetime.combine(doc.published, time(12), UTC))

    def _large_file(self) -> _Page:
        size = self.config.large_file_bytes
        return self._cached(
            ("large", size),
            lambda: _Page(
                b"",
                "application/pdf",
                datetime(2021, 6, 15, 12, tzinfo=UTC),
                stream_size=size,
                etag=content.large_file_digest(size)[:24],
            ),
        )

    def _bomb(self) -> _Page:
        size = self.config.bomb_bytes
        return self._cached(
            ("bomb", size),
            lambda: _Page(
                content.gzip_bomb(size),
                "text/html; charset=utf-8",
                datetime(2023, 1, 7, 12, tzinfo=UTC),
                content_encoding="gzip",
            ),
        )


def _robots() -> _Page:
    body = b"User-agent: *\nDisallow: /search/\nDisallow: /private/\n"
    return _Page(body, "text/plain; charset=utf-8", EPOCH)


def _t(text: str) -> str:
    """Escape element text; quotes stay literal so page text equals the ground-truth strings."""
    return html.escape(text, quote=False)


def _a(text: str) -> str:
    return html.escape(text, quote=True)


def _time(day: date) -> str:
    stamp = datetime.combine(day, time(0), MOSCOW).isoformat()
    return f'<time datetime="{stamp}">{day:%d.%m.%Y}</time>'
