"""The briefing check's report for people: Markdown and HTML tables."""

from __future__ import annotations

import html
from typing import Any

from scoarchive.briefing.check import BriefingReport, CitationReport
from scoarchive.briefing.compare import QuoteVerdict

_FOUND = (QuoteVerdict.FOUND, QuoteVerdict.FOUND_NORMALISED)


def render_markdown(report: BriefingReport) -> str:
    """A table a reviewer reads in a merge request, then each quote that was not found."""
    lines = [f"# Citation check: {report.briefing}", ""]
    verdict = "every citation is preserved" if report.all_preserved else "NOT every citation is preserved"
    lines += [f"**{verdict}** ({sum(c.resolved for c in report.citations)}/{len(report.citations)})", ""]
    lines += ["| n | cited | archived copy | match | date | quotes | live |", "|---|---|---|---|---|---|---|"]
    for c in report.citations:
        archived = f"[{c.capture_time}]({c.archived_url})" if c.resolved else "**missing**"
        lines.append(
            f"| {c.n or ''} | {c.url} | {archived} | {c.match or ''} | {_date_text(c)} | {_quotes_text(c)} |"
            f" {c.live or ''} |"
        )
    for c in report.citations:
        for quote in c.quotes + c.terms:
            if quote["verdict"] == QuoteVerdict.NOT_FOUND:
                lines += [
                    "",
                    f"[{c.n}] quote not found: “{quote['text'][:200]}”",
                    f"closest ({quote['similarity']:.2f}): “{quote['closest'][:200]}”",
                ]
            elif quote["verdict"] == QuoteVerdict.OTHER_LANGUAGE:
                lines += [
                    "",
                    f"[{c.n}] quote in another language ({quote['quote_language']}; the source is in "
                    f"{quote['source_language']}, no translation to check against): “{quote['text'][:200]}”",
                ]
    return "\n".join(lines) + "\n"


def render_html(report: BriefingReport) -> str:
    """A standalone page with the same table, for publishing next to the briefing."""
    rows = []
    for c in report.citations:
        archived = (
            f'<a href="{html.escape(c.archived_url or "")}">{html.escape(c.capture_time or "")}</a>'
            if c.resolved
            else "<strong>missing</strong>"
        )
        cells = [str(c.n or ""), html.escape(c.url), archived, c.match or "", _date_text(c), _quotes_text(c)]
        cells.append(c.live or "")
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    verdict = "every citation is preserved" if report.all_preserved else "NOT every citation is preserved"
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Citation check</title></head><body>'
        f"<h1>Citation check: {html.escape(report.briefing)}</h1><p><strong>{verdict}</strong></p>"
        "<table><tr><th>n</th><th>cited</th><th>archived copy</th><th>match</th><th>date</th>"
        "<th>quotes</th><th>live</th></tr>" + "".join(rows) + "</table></body></html>\n"
    )


def _date_text(c: CitationReport) -> str:
    check = c.date_check
    verdict = check.get("verdict", "none")
    if verdict == "off":
        return f"off by {abs(check['days_off'])} day(s)"
    return str(verdict)


def _counted(checked: list[dict[str, Any]]) -> str:
    found = sum(q["verdict"] in _FOUND for q in checked)
    other = sum(q["verdict"] == QuoteVerdict.OTHER_LANGUAGE for q in checked)
    return f"{found}/{len(checked)} found" + (f", {other} in another language" if other else "")


def _quotes_text(c: CitationReport) -> str:
    parts = [_counted(c.quotes)] if c.quotes else []
    parts += [f"terms {_counted(c.terms)}"] if c.terms else []
    return "; ".join(parts)
