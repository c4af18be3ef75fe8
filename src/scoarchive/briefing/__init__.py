"""Briefings: reading their citations in every format, checking them against the archive, and
annotating and bundling the evidence. ``reader.parse_briefing`` and ``check.check_briefing`` are
the entry points; the parsing modules below them each hold one concept."""
