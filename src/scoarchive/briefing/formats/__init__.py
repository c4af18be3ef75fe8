"""One reader per briefing format, each turning a file into a :class:`~scoarchive.briefing.model.Document`.

Text formats (txt, md, html) take the decoded text; binary ones (docx, odt, pdf) the file's bytes.
"""
