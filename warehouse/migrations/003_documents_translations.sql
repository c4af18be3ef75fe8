-- 003: documents as first-class records (their page's metadata table, linked to the PDF), and
-- the versions in other languages that pages link (hreflang).
--
-- A warehouse built before this migration keeps its rows; its document pages were read as
-- articles and its slug-form addresses have no article key, until `scoarchive reindex` reads
-- the WARC files again with the current rules. The next load rebuilds the derived tables.

-- A document page's own facts, beside its `extractions` row (kind 'document_page').
CREATE TABLE document_pages (
    record_id  VARCHAR PRIMARY KEY,  -- the response record of the page
    fields     JSON NOT NULL,        -- its metadata table, {"Field": "Value", ...} in page order
    pdf_url    VARCHAR               -- the PDF it links (class "button button_small"), canonical
);

-- Links a captured page makes to its versions in other languages: <link rel="alternate"
-- hreflang> and <a hreflang>. Recorded as the page states them, home pages included (the
-- language switcher); only links to article addresses are translations.
CREATE TABLE language_links (
    record_id    VARCHAR NOT NULL,  -- the captured page that carries the link
    language     VARCHAR NOT NULL,  -- its hreflang, lower case
    url          VARCHAR NOT NULL,  -- canonical URL of the linked version
    article_key  VARCHAR,           -- host/ID when that URL is an article address
    PRIMARY KEY (record_id, language, url)
);

-- One row per distinct version of a PDF, with the document page that links it (its latest
-- version: title, date, metadata table), and one row per document page whose PDF is not
-- archived (url is then the PDF's address and record_id is NULL).
CREATE OR REPLACE VIEW documents_build AS
WITH seen AS (
    SELECT kind, item_key, content_sha256,
           min(capture_time) AS first_seen,
           max(capture_time) AS last_seen,
           count(*) AS times_seen
    FROM capture_content
    WHERE kind IN ('document', 'document_page')
    GROUP BY ALL
), origin AS (
    SELECT e.*, s.first_seen, s.last_seen, s.times_seen
    FROM extractions AS e
    JOIN seen AS s USING (kind, item_key, content_sha256)
    WHERE e.kind IN ('document', 'document_page')
    QUALIFY row_number() OVER (
        PARTITION BY e.kind, e.item_key, e.content_sha256 ORDER BY e.capture_time, e.record_id
    ) = 1
), pdfs AS (
    SELECT * FROM origin WHERE kind = 'document'
), pages AS (
    SELECT o.item_key AS document_key, o.url AS page_url, o.title, o.published, o.language,
           p.fields, p.pdf_url, o.record_id AS page_record_id
    FROM origin AS o
    JOIN document_pages AS p USING (record_id)
    WHERE o.kind = 'document_page'
    QUALIFY row_number() OVER (
        PARTITION BY o.item_key ORDER BY o.last_seen DESC, o.first_seen DESC, o.content_sha256
    ) = 1
)
SELECT
    pages.document_key,                             -- host/ID of the document page
    pages.page_url,
    coalesce(pages.title, pdfs.title) AS title,     -- the page's headline, else the PDF's title
    pages.published,                                -- the date the page gives
    coalesce(pages.language, pdfs.language) AS language,
    pages.fields,                                   -- the page's metadata table (JSON object)
    coalesce(pdfs.url, pages.pdf_url) AS url,       -- the PDF
    pdfs.title AS pdf_title,                        -- the PDF's own Info title
    pdfs.pages,
    pdfs.text,                                      -- the PDF's text layer
    pdfs.word_count,
    pdfs.content_sha256,
    pdfs.first_seen,
    pdfs.last_seen,
    pdfs.times_seen,
    pdfs.crawl_run_id,
    pdfs.warc_file,                                 -- where the PDF's capture is
    pdfs.warc_offset,
    pdfs.record_id,
    pages.page_record_id
FROM pdfs
FULL OUTER JOIN pages ON pages.pdf_url = pdfs.item_key
ORDER BY url, first_seen, content_sha256, document_key;

DROP TABLE documents;
CREATE TABLE documents AS SELECT * FROM documents_build LIMIT 0;

-- Each article and the versions in other languages its pages link, in both directions: a page
-- that links B as its Russian version makes B this article's translation and this article
-- B's. Nothing else is inferred (each language site gives one event its own ID). `record_id`
-- and `text` are the translation's latest archived version (NULL when it is not archived).
CREATE VIEW article_translations AS
WITH stated AS (
    SELECT DISTINCT e.item_key AS source_key, l.article_key AS target_key, l.language, l.url
    FROM language_links AS l
    JOIN extractions AS e USING (record_id)
    WHERE e.kind = 'article' AND l.article_key IS NOT NULL AND l.article_key <> e.item_key
), pairs AS (
    SELECT source_key AS article_key, target_key AS translation_key, language, url FROM stated
    UNION ALL
    SELECT s.target_key, s.source_key, a.language, a.url
    FROM stated AS s JOIN articles_latest AS a ON a.article_key = s.source_key
)
SELECT
    p.article_key,
    p.translation_key,
    coalesce(t.language, min(p.language)) AS language,
    coalesce(t.url, min(p.url)) AS url,
    t.title,
    t.published,
    t.text,
    t.record_id,
    t.warc_file,
    t.warc_offset
FROM pairs AS p
LEFT JOIN articles_latest AS t ON t.article_key = p.translation_key
GROUP BY p.article_key, p.translation_key, t.language, t.url, t.title, t.published, t.text,
         t.record_id, t.warc_file, t.warc_offset
ORDER BY p.article_key, language, p.translation_key;

-- Documents and translations are new derived rows: the next load rebuilds them.
INSERT OR REPLACE INTO warehouse_state VALUES ('dirty', 'true');
