-- Question: which official documents did the SCO sites publish in 2024, with their archived PDFs?
-- Use: one row per document and PDF version: the page's title, date and metadata table
-- (`fields`, JSON: `fields->>'Date of signing'`), the PDF's address, its text size and where its
-- capture is in the WARC files (`pdf_archived` is false when only the page was captured).
-- Change the year to yours.
SELECT
    published,
    language,
    title,
    fields,
    page_url,
    url AS pdf_url,
    record_id IS NOT NULL AS pdf_archived,
    pages,
    word_count,
    warc_file,
    warc_offset
FROM documents
WHERE year(published) = 2024
ORDER BY published, language, document_key, first_seen;
