"""Text of the replica's stories, rendered from language-neutral plans in each language.

A plan is a tuple of random slot indices (:func:`plan_title`, :func:`plan_paragraph`); rendering
it in English, Russian and Chinese picks the same rows of the parallel tables in
:mod:`.vocabulary`, so the three language sites carry translations of one story.
"""

from __future__ import annotations

import random
import re
from datetime import date

from scoarchive.replica.vocabulary import (
    ACTORS,
    CITIES,
    DOC_BODIES,
    DOC_BODY_NAMES,
    DOC_KINDS,
    EVENTS,
    GOALS,
    GROUPS,
    INTENTS,
    LABELS,
    LANG_INDEX,
    OBJECTS,
    SAYS,
    TOPICS,
    TRANSLIT,
    VERBS,
)

SLUG_WORDS = 10


def _w(table: tuple[tuple[str, str, str], ...], index: int, lang: str) -> str:
    """Pick a word from a parallel table; indices wrap so any random int is a valid slot."""
    return table[index % len(table)][LANG_INDEX[lang]]


def _place(index: int, lang: str) -> str:
    city = _w(CITIES, index, lang)
    return {"en": f"in {city}", "ru": f"в {city}", "zh": f"在{city}"}[lang]


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


Sentence = tuple[int, int, int, int, int]  # template, then four slot indices


def render_sentence(s: Sentence, lang: str) -> str:
    """Render one language-neutral sentence plan; the same plan gives parallel translations."""
    t, a, b, c, d = s
    actor, place = _w(ACTORS, a, lang), _place(d, lang)
    kind = t % 6
    if kind == 0:
        verb, obj = _w(VERBS, b, lang), _w(OBJECTS, c, lang)
        return {
            "en": f"The {actor} {verb} {obj} {place}.",
            "ru": f"{actor} {verb} {obj} {place}.",
            "zh": f"{actor}{place}{verb}{obj}。",
        }[lang]
    if kind in (1, 5):
        group, intent, goal = _w(GROUPS, b, lang), _w(INTENTS, c, lang), _w(GOALS, d, lang)
        if kind == 5:
            return {
                "en": f"{_cap(group)} {intent} {goal} within the SCO framework.",
                "ru": f"{_cap(group)} {intent} {goal} в рамках ШОС.",
                "zh": f"在上合组织框架内，{group}{intent}{goal}。",
            }[lang]
        say = _w(SAYS, a // 7, lang)
        return {
            "en": f"The {actor} {say} that {group} {intent} {goal}.",
            "ru": f"{actor} {say}, что {group} {intent} {goal}.",
            "zh": f"{actor}{say}，{group}{intent}{goal}。",
        }[lang]
    if kind == 2:
        n = 5 + b % 5
        return {
            "en": f"The meeting was attended by representatives of {n} countries.",
            "ru": f"Во встрече приняли участие представители {n} стран.",
            "zh": f"来自{n}个国家的代表出席了会议。",
        }[lang]
    if kind == 3:
        topic = _w(TOPICS, c, lang)
        return {
            "en": f"Particular attention was paid to cooperation in {topic}.",
            "ru": f"Особое внимание было уделено сотрудничеству в области {topic}.",
            "zh": f"会议特别关注{topic}领域的合作。",
        }[lang]
    return {
        "en": f"The parties agreed to hold the next meeting {place}.",
        "ru": f"Стороны договорились провести следующую встречу {place}.",
        "zh": f"双方商定{place}举行下次会议。",
    }[lang]


def render_paragraph(sentences: tuple[Sentence, ...], lang: str) -> str:
    """Join rendered sentences the way each language does (no spaces in Chinese)."""
    sep = "" if lang == "zh" else " "
    return sep.join(render_sentence(s, lang) for s in sentences)


def plan_sentence(rng: random.Random) -> Sentence:
    """Draw one sentence plan; five independent slots keep the text varied."""
    return (
        rng.randrange(6),
        rng.randrange(1000),
        rng.randrange(1000),
        rng.randrange(1000),
        rng.randrange(1000),
    )


def plan_paragraph(rng: random.Random) -> tuple[Sentence, ...]:
    """A paragraph of 2-5 sentences, as the brief asks."""
    return tuple(plan_sentence(rng) for _ in range(rng.randint(2, 5)))


TitleKey = tuple[int, int, int, int]  # actor, event, topic, city


def plan_title(rng: random.Random) -> TitleKey:
    """Draw a headline plan: who did what about which topic where."""
    return (
        rng.randrange(len(ACTORS)),
        rng.randrange(len(EVENTS)),
        rng.randrange(len(TOPICS)),
        rng.randrange(len(CITIES)),
    )


def render_title(key: TitleKey, lang: str) -> str:
    """Headline in one language; Chinese puts the place before the verb."""
    a, e, t, c = key
    actor, event, topic = _w(ACTORS, a, lang), _w(EVENTS, e, lang), _w(TOPICS, t, lang)
    if lang == "zh":
        return f"{actor}{_place(c, lang)}{event.format(t=topic)}"
    return f"{actor} {event} {topic} {_place(c, lang)}"


def topic_word(key: TitleKey, lang: str) -> str:
    """The word a reader would search for: the story's topic in the page language."""
    return _w(TOPICS, key[2], lang)


def render_caption(number: int, city: int, lang: str) -> str:
    """Photo caption; English pages get Russian captions (the real site does that)."""
    place = _place(city, lang)
    if lang == "zh":
        what = "的活动参与者" if number % 2 else "举行的开幕式"
        return f"{place}{what}。图片来源：上合组织秘书处"
    what = "Участники мероприятия" if number % 2 else "Церемония открытия"
    return f"{what} {_place(city, 'ru')}. Фото: пресс-служба Секретариата ШОС"


def render_doc_title(kind: int, body: int, city: int, lang: str) -> str:
    """Title of an official document (communiqué, declaration ...) in one language."""
    k, b = _w(DOC_KINDS, kind, lang), _w(DOC_BODIES, body, lang)
    if lang == "zh":
        return f"上海合作组织{b}{_w(CITIES, city, lang)}会议{k}"
    if lang == "ru":
        return f"{k} по итогам заседания {b} {_place(city, lang)}"
    return f"{k} of the {b} meeting {_place(city, lang)}"


def month_label(lang: str, year: int, month: int) -> str:
    """The news calendar's label for one month ("News calendar: June 2021")."""
    labels = LABELS[lang]
    return labels.calendar.format(month=labels.months[month - 1], year=year)


def document_fields(kind: int, body: int, signed: date, lang: str) -> tuple[tuple[str, str], ...]:
    """A document page's metadata table: (field, value) rows in the page's language."""
    date_label, kind_label, body_label = LABELS[lang].document_fields
    return (
        (date_label, f"{signed:%d.%m.%Y}"),
        (kind_label, _w(DOC_KINDS, kind, lang)),
        (body_label, _w(DOC_BODY_NAMES, body, lang)),
    )


def slug(title: str, lang: str) -> str:
    """The words of a headline joined by hyphens, as in 2022-2023 addresses; Russian transliterated."""
    if lang == "ru":
        title = "".join(
            TRANSLIT[ch.lower()].capitalize()
            if ch.isupper() and ch.lower() in TRANSLIT
            else TRANSLIT.get(ch, ch)
            for ch in title
        )
    return "-".join(re.findall(r"[A-Za-z0-9]+", title)[:SLUG_WORDS])
