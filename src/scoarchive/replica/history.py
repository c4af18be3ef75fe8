"""The replica's content over time: the first version, built from the seed, and each ``mutate()``.

Every choice is drawn from a ``random.Random`` seeded by the config's seed and a purpose string,
so two histories built from the same config are identical, version by version.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta

from scoarchive.replica import prose
from scoarchive.replica.documents import build_documents
from scoarchive.replica.faults import FAULT_HOST, SERVED_FAULT_IDS
from scoarchive.replica.model import (
    FIRST_ID,
    FIXED_ARTICLES,
    HOSTS,
    ID_FLOORS,
    LANGUAGE,
    NAV_DATES,
    NAV_PAGES,
    RESERVED_IDS,
    SLUG_YEARS,
    AddressForm,
    Article,
    ReplicaConfig,
    SiteChange,
    State,
    Story,
)
from scoarchive.replica.vocabulary import CITIES, LABELS

News = dict[str, tuple[int, ...]]  # host -> news ids, newest first


class SiteHistory:
    """Builds the site's first version and each later one; ``state`` is always the current one."""

    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._titles: set[prose.TitleKey] = set()
        self._used_ids: set[int] = set(RESERVED_IDS)
        self._last_id = FIRST_ID
        self.dates: dict[int, date] = {}
        self._story_count = config.articles_per_host
        self.documents, self.doc_titles_en = build_documents(config, self._used_ids)
        self.doc_index = {(d.host, d.doc_id): d for d in self.documents}
        # host -> (href, article id) of older articles the home page links, by other addresses
        self.highlights: dict[str, tuple[tuple[str, int], ...]] = {}
        articles, self._anchors, self._protected = self._build_initial()
        news = self._news_index(articles)
        clock = datetime.combine(max(self.dates.values()), time(12), UTC)
        self._history: list[tuple[datetime, News]] = [(clock, news)]
        self.state = State(0, articles, news)

    # -- building ---------------------------------------------------------------------------------

    def _alloc_id(self, rng: random.Random, day: date) -> int:
        """Next article id: increasing with publication order, skipping reserved ids.

        The ID floors of the article's era lift it, so IDs have as many digits as real ones.
        """
        floor = next((first for since, first in ID_FLOORS if day >= since), 0)
        candidate = max(self._last_id, floor) + rng.randint(3, 40)
        while candidate in self._used_ids:
            candidate += 1
        self._used_ids.add(candidate)
        self._last_id = candidate
        return candidate

    def _story(self, key: str, day: date) -> Story:
        rng = random.Random(f"{self.config.seed}:story:{key}")
        title = prose.plan_title(rng)
        for _ in range(50):  # distinct headlines while the 3,500 combinations last
            if title not in self._titles:
                break
            title = prose.plan_title(rng)
        self._titles.add(title)
        paragraphs = tuple(prose.plan_paragraph(rng) for _ in range(rng.randint(3, 8)))
        figures = tuple(rng.randrange(len(CITIES)) for _ in range(rng.randint(1, 2)))
        return Story(day, title, paragraphs, figures)

    def _render_story(self, story: Story, host: str, article_id: int, kind: str = "news") -> Article:
        """An article without related links yet (those need the anchors, see ``_relate``)."""
        lang = LANGUAGE[host]
        self.dates[article_id] = story.day
        return Article(
            host=host,
            article_id=article_id,
            day=story.day,
            kind=kind,
            title=prose.render_title(story.title, lang),
            paragraphs=tuple(prose.render_paragraph(p, lang) for p in story.paragraphs),
            captions=tuple(prose.render_caption(n, city, lang) for n, city in enumerate(story.figures, 1)),
            search_word=prose.topic_word(story.title, lang),
            related=(),
            modified=datetime.combine(story.day, time(7), UTC),
        )

    def _relate(self, art: Article, anchors: dict[str, list[Article]]) -> Article:
        """Pick up to 3 related articles among the anchors, from the article's own id only.

        Anchors are never deleted and their titles never change, so related blocks are stable.
        """
        pool = [a for a in anchors[art.host] if a.article_id != art.article_id]
        rng = random.Random(f"{self.config.seed}:related:{art.article_id}")
        chosen = rng.sample(pool, min(3, len(pool)))
        return dataclasses.replace(art, related=tuple((a.path, a.title) for a in chosen))

    def _render_everywhere(self, story: Story, rng: random.Random, slug_rank: int | None) -> list[Article]:
        """One story on the three hosts, each page knowing the others (its translations).

        In the slug years (``slug_rank`` counts their stories) the English address alternates
        between the two slug forms and the Russian between slug and section; Chinese stays plain.
        """
        arts = []
        for host in HOSTS:
            art = self._render_story(story, host, self._alloc_id(rng, story.day))
            form = AddressForm.PLAIN
            if slug_rank is not None and LANGUAGE[host] != "zh":
                if host == FAULT_HOST:
                    form = AddressForm.DASH_SLUG if slug_rank % 2 == 0 else AddressForm.SLUG
                else:
                    form = AddressForm.SECTION if slug_rank % 2 else AddressForm.SLUG
            if form is not AddressForm.PLAIN:
                art = dataclasses.replace(art, form=form, slug=prose.slug(art.title, art.lang))
            arts.append(art)
        return [
            dataclasses.replace(art, translations=tuple((o.lang, o.url) for o in arts if o is not art))
            for art in arts
        ]

    def _highlight(self, drafts: list[Article]) -> tuple[list[Article], set[int]]:
        """Older articles the home pages link by another address, which crawls must follow.

        Each host links its oldest slug-form article by its plain address (a redirect); the
        English host links its oldest 2024 article through ``eng.sectsco.org.``. They are never
        edited or deleted, so the home pages stay stable. Returns the articles and their ids.
        """
        by_age = sorted((a for a in drafts if a.kind == "news"), key=lambda a: (a.day, a.article_id))
        links: dict[int, str] = {}
        for host in HOSTS:
            picks = []
            slugged = next((a for a in by_age if a.host == host and a.form is not AddressForm.PLAIN), None)
            if slugged is not None:
                picks.append((slugged, f"http://{host}{slugged.plain_path}"))
            recent = next((a for a in by_age if a.host == host and a.day.year >= 2024), None)
            if host == FAULT_HOST and recent is not None:
                picks.append((recent, f"http://{host}.{recent.path}"))
            links.update((a.article_id, href) for a, href in picks)
            self.highlights[host] = tuple((href, a.article_id) for a, href in picks)
        linked = [
            dataclasses.replace(a, links=(links[a.article_id],)) if a.article_id in links else a
            for a in drafts
        ]
        return linked, set(links)

    def _build_initial(
        self,
    ) -> tuple[dict[int, Article], dict[str, list[Article]], frozenset[int]]:
        """Generated stories, the fixed briefing articles, nav pages and fault articles.

        Returns the articles, the anchors per host (every third generated story and the fixed
        articles: related-link targets, never edited or deleted) and the ids mutate() must not
        touch (the anchors and the home pages' highlights).
        """
        cfg = self.config
        rng = random.Random(f"{cfg.seed}:ids")
        start, span = date(2016, 6, 1), (date(2024, 12, 31) - date(2016, 6, 1)).days
        drafts: list[Article] = []
        anchor_ids: set[int] = set()
        slug_rank = 0
        for i in range(cfg.articles_per_host):
            day = start + timedelta(days=int((i + rng.random()) * span / cfg.articles_per_host))
            story = self._story(str(i), day)
            slugged = day.year in SLUG_YEARS
            for art in self._render_everywhere(story, rng, slug_rank if slugged else None):
                drafts.append(art)
                if i % 3 == 0:
                    anchor_ids.add(art.article_id)
            slug_rank += slugged
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
            for article_id in SERVED_FAULT_IDS:
                day = date(2023, 1, article_id - 900000)
                story = self._story(f"fault:{article_id}", day)
                drafts.append(self._render_story(story, FAULT_HOST, article_id, kind="fault"))
        drafts, highlighted = self._highlight(drafts)
        anchors: dict[str, list[Article]] = {h: [] for h in HOSTS}
        for art in sorted(drafts, key=lambda a: a.article_id):
            if art.article_id in anchor_ids:
                anchors[art.host].append(art)
        articles = {a.article_id: self._relate(a, anchors) for a in drafts}
        return articles, anchors, frozenset(anchor_ids | highlighted)

    @staticmethod
    def _news_index(articles: Mapping[int, Article]) -> News:
        news: dict[str, list[Article]] = {h: [] for h in HOSTS}
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
        related block ever changes), not highlights and not the fixed briefing articles. Thread-safe: the new
        version is built aside and published with one reference swap.
        """
        with self._lock:
            old = self.state
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
            newest = max(self.dates.values())  # never shrinks, so the clock only moves forward
            articles = dict(old.articles)
            added: list[str] = []
            for k in range(3):
                story = self._story(str(self._story_count), newest + timedelta(days=k + 1))
                self._story_count += 1
                for art in self._render_everywhere(story, rng, None):
                    art = self._relate(art, self._anchors)
                    articles[art.article_id] = art
                    added.append(art.url)
            clock = datetime.combine(newest + timedelta(days=3), time(12), UTC)
            target = articles[edited]
            paragraphs = list(target.paragraphs)
            paragraphs[1] = prose.render_paragraph(prose.plan_paragraph(rng), "en")
            articles[edited] = dataclasses.replace(target, paragraphs=tuple(paragraphs), modified=clock)
            deleted_url = articles.pop(deleted).url
            news = self._news_index(articles)
            self._history.append((clock, news))
            self.state = State(version, articles, news)
            return SiteChange(added=added, edited=articles[edited].url, deleted=deleted_url)

    def stable_since(self, state: State, key: Callable[[News], object]) -> datetime:
        """Clock of the oldest version since which ``key`` of the news index has not changed.

        Gives listings a Last-Modified that is a pure function of the version history.
        """
        current = key(self._history[state.version][1])
        since = state.version
        while since > 0 and key(self._history[since - 1][1]) == current:
            since -= 1
        return self._history[since][0]
