"""Extraction, beside capture on the third floor: what a captured page or PDF says.

Articles (:mod:`.article`: title, dates, language, main text through trafilatura, what is never
article text kept out), document pages (:mod:`.document`: the metadata table and the PDF it
links), PDFs (:mod:`.pdf`), the languages a page links (:mod:`.languages`), decoding bytes as
browsers do (:mod:`.encoding`) and the text helpers they share (:mod:`.text`). Nothing here
reads WARC files or the warehouse: the loader hands it bytes.
"""
