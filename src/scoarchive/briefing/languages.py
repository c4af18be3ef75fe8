"""Which language a quotation and its source are written in.

A German briefing citing an English article quotes it in German („neuen Typ“ for "new type"):
such a quotation cannot be found verbatim, and calling it "not found" would accuse the analyst
of a misquote. Knowing both languages lets the check say what is the case (``other_language``)
and look for the quotation in the article's translation instead.

Identification is py3langid's (the maintained fork of langid.py, the naive Bayes model that
trafilatura also uses): its model ships inside the package, so nothing is downloaded at run time,
and it is deterministic. The candidates are restricted to :data:`LANGUAGES`, the languages of the
SCO site's editions and of the briefings written about them: a two-word term is ambiguous among
ninety languages but rarely among five.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

LANGUAGES = ("en", "ru", "zh", "de", "fr")


_SAMPLE = 4000  # characters of a long source that suffice to tell its language


@dataclass(frozen=True)
class Detected:
    """An ISO 639-1 code and the model's probability for it among :data:`LANGUAGES`."""

    language: str
    confidence: float


@cache
def _identifier() -> Any:
    """The model, loaded on first use (numpy and a 2 MB model: not for every command's start)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


@lru_cache(maxsize=256)
def detect_language(text: str) -> Detected | None:
    """The language of ``text``; None when it has no letters to tell by."""
    sample = text[:_SAMPLE]
    if not any(char.isalpha() for char in sample):
        return None
    language, confidence = _identifier().classify(sample)
    return Detected(str(language), round(float(confidence), 3))
