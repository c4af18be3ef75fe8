"""The briefing check's report for people: Markdown and HTML tables."""

from __future__ import annotations

import html

from scoarchive.briefing.check import BriefingReport, CitationReport


def render_markdown(report: BriefingReport) -> str:
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
        for quote in c.quotes:
            if quote["verdict"] == "not_found":
                lines += [
                    "",
                    f"[{c.n}] quote not found: “{quote['text'][:200]}”",
                    f"closest ({quote['similarity']:.2f}): “{quote['closest'][:200]}”",
                ]
    return "\n".join(lines) + "\n"


def render_html(report: BriefingReport) -> str:
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


def _quotes_text(c: CitationReport) -> str:
    if not c.quotes:
        return ""
    found = sum(q["verdict"] != "not_found" for q in c.quotes)
    return f"{found}/{len(c.quotes)} found"
