"""Markdown briefings: CommonMark with pandoc footnotes, rendered to HTML and read as HTML.

Footnotes are parsed by mdit-py-plugins' footnote plugin (pandoc's syntax), not by hand: a
definition ``[^1]: …`` ends where the next one starts, even on the very next line, and a
footnote may hold several paragraphs (continuation paragraphs indented by four spaces). The
plugin is told to leave each definition where it stands (``move_to_end=False``, which also keeps
definitions nothing refers to) and the definitions and references are rendered as
``<div data-note="n">`` and ``<sup>[n]</sup>``, numbered by their labels as the analyst wrote
them (``[^2]`` is note 2 wherever it is first referred to); a label that is not a number
(``[^wang]``) is numbered after the numeric ones, in the order of the definitions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from scoarchive.briefing.formats.html import read_html
from scoarchive.briefing.model import Document, squash

_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


_LABEL_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.MULTILINE)


def _numbers(text: str) -> dict[str, int]:
    labels = list(dict.fromkeys(_LABEL_DEFINITION.findall(text)))
    numbers = {label: int(label) for label in labels if label.isdigit()}
    following = max(numbers.values(), default=0)
    for label in labels:
        if label not in numbers:
            following += 1
            numbers[label] = following
    return numbers


def _renderer(text: str) -> MarkdownIt:
    numbers = _numbers(text)

    def number(label: str) -> int:
        return numbers.get(label) or (int(label) if label.isdigit() else 0)

    def reference(_renderer: Any, tokens: Sequence[Token], index: int, *_: Any) -> str:
        return f"<sup>[{number(tokens[index].meta['label'])}]</sup>"

    def definition(_renderer: Any, tokens: Sequence[Token], index: int, *_: Any) -> str:
        return f'<div data-note="{number(tokens[index].meta["label"])}">'

    parser = MarkdownIt("commonmark", {"breaks": True}).use(footnote_plugin, inline=False, move_to_end=False)
    parser.add_render_rule("footnote_ref", reference)
    parser.add_render_rule("footnote_reference_open", definition)
    parser.add_render_rule("footnote_reference_close", lambda *_: "</div>\n")
    return parser


def read_markdown(text: str) -> Document:
    """The paragraphs of a Markdown briefing; its title is its first heading."""
    rendered = _renderer(text).render(text)
    document = read_html(f"<html><body>{rendered}</body></html>")
    heading = _HEADING.search(text)
    return Document(squash(heading.group(1)) if heading else "", document.blocks)
