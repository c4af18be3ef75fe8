"""The replica's model: its knobs, the ground truth tests compare against, and one site version.

Everything here is plain data. :class:`ReplicaConfig` is what a caller chooses;
:class:`ArticleTruth`, :class:`DocumentTruth` and :class:`SiteChange` are what tests read;
:class:`Article`, :class:`Story` and :class:`State` are the internal model one version of the
site is made of (:mod:`.history` builds and changes it, :mod:`.pages` renders it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

from scoarchive.replica.exchange import Page
from scoarchive.replica.faults import FAULT_IDS
from scoarchive.replica.prose import Sentence, TitleKey, month_label
from scoarchive.replica.vocabulary import LABELS, SECTIONS

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
# Article IDs grow with time, as on the real site: low IDs on pages moved from the old site
# (before 2019), six digits until 2023, seven from 2024 (/20240116/1237998.html).
FIRST_ID = 20_000
ID_FLOORS = (
    (date(2024, 1, 1), 1_230_000),
    (date(2022, 1, 1), 905_000),
    (date(2021, 1, 1), 740_000),
    (date(2019, 1, 1), 500_000),
    (date(2017, 1, 1), 190_000),
)
# The years whose English and Russian addresses carry a slug (/20220805/-SCO-...-908439.html).
SLUG_YEARS = (2022, 2023)


class AddressForm(StrEnum):
    """How an article's address is spelled on the site (its ID and date are in every form)."""

    PLAIN = "plain"  # /20210615/765514.html
    SLUG = "slug"  # /20230831/Vstrecha-953905.html
    DASH_SLUG = "dash-slug"  # /20220805/-SCO-Secretary-General-meets-908439.html
    SECTION = "section"  # /political/20230831/953905/Vstrecha.html (Russian)


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
    # Article pages link their versions in the other languages (<link rel="alternate" hreflang>).
    # Off by default: the real site links only the other sites' home pages.
    translation_links: bool = False


@dataclass(frozen=True)
class ArticleTruth:
    """Ground truth of one article page, for testing extraction and citation resolution.

    ``kind`` is "news", "page" (the About/Secretariat/Contacts pages in the menu, which share the
    article URL pattern) or "fault" (the transient-503 and slow fault pages once they answer 200).
    ``addresses`` are every address the site links it under: ``url`` first, then, where some page
    links them, its plain address that redirects to ``url`` and its address through the host with
    a trailing dot (tracking parameters and fragments aside). ``translations`` are the
    (language, url) of the same story on the other hosts, whether or not the page links them.
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
    form: AddressForm
    addresses: tuple[str, ...]
    translations: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class DocumentTruth:
    """One document: its page ``url`` (linked from ``listing_url``) and the PDF the page links.

    ``fields`` is the page's metadata table; ``published`` is the date in the page's address and
    header (the PDF's folder is that date in hex: /images/07e8/0c/17/ID.pdf is 2024-12-23).
    """

    host: str
    doc_id: int
    url: str
    title: str
    pdf_url: str
    published: date
    language: str
    listing_url: str
    fields: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class SiteChange:
    """What one ``Site.mutate()`` did, as absolute URLs."""

    added: list[str]
    edited: str
    deleted: str


@dataclass(frozen=True)
class Article:
    """One article page of one host, as the site holds it."""

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
    form: AddressForm = AddressForm.PLAIN
    slug: str = ""
    translations: tuple[tuple[str, str], ...] = ()  # (language, url) of the story on other hosts
    links: tuple[str, ...] = ()  # other addresses some page links it under (absolute)

    @property
    def lang(self) -> str:
        return LANGUAGE[self.host]

    @property
    def plain_path(self) -> str:
        """``/YYYYMMDD/ID.html``: where it is in the plain form, else a redirect to ``path``."""
        return f"/{self.day:%Y%m%d}/{self.article_id}.html"

    @property
    def path(self) -> str:
        day, number = f"{self.day:%Y%m%d}", self.article_id
        if self.form is AddressForm.SLUG:
            return f"/{day}/{self.slug}-{number}.html"
        if self.form is AddressForm.DASH_SLUG:
            return f"/{day}/-{self.slug}-{number}.html"
        if self.form is AddressForm.SECTION:
            return f"/{SECTIONS[number % len(SECTIONS)]}/{day}/{number}/{self.slug}.html"
        return self.plain_path

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
                month_label(self.lang, self.day.year, self.day.month),
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
            form=self.form,
            addresses=(self.url, *self.links),
            translations=self.translations,
        )


@dataclass(frozen=True)
class Story:
    """Language-neutral plan of one story; each host renders it in its own language."""

    day: date
    title: TitleKey
    paragraphs: tuple[tuple[Sentence, ...], ...]
    figures: tuple[int, ...]  # caption city per photo


@dataclass(frozen=True)
class State:
    """One immutable version of the site; readers grab it once so a mutate never tears a page."""

    version: int
    articles: dict[int, Article]
    news: dict[str, tuple[int, ...]]  # host -> news ids, newest first
    pages: dict[tuple[object, ...], Page] = field(default_factory=dict)  # version-bound cache


def listing_path(base: str, offset: int) -> str:
    """The address of one page of a paginated listing (``/news/?offset=10``)."""
    return base if offset == 0 else f"{base}?offset={offset}"
