-- Question: which official documents (PDFs) are archived, with their titles and text size?
-- Use: finding communiqués and declarations; `text` holds the PDF's text layer where it has one.
SELECT
    language,
    title,
    pages,
    word_count,
    first_seen,
    url
FROM documents
ORDER BY language, title, url;
