-- 002: articles and documents as distinct content versions, and the analyst views over them.
--
-- A version is one distinct content digest of one article (title + date + text). It was seen
-- by every capture whose content it is: the full response it was extracted from, later full
-- responses with the same text, and revisit records pointing at one of those (WARC-Refers-To).
-- `articles` and `documents` are materialised from the *_build views after every load, in a
-- deterministic order, so an incremental load and a reindex give identical tables.

-- Every capture whose content is known, with the extraction that gives it.
CREATE VIEW capture_content AS
SELECT
    c.record_id,
    c.capture_time,
    c.crawl_run_id,
    e.kind,
    e.item_key,
    e.content_sha256
FROM captures AS c
JOIN extractions AS e ON e.record_id = coalesce(c.refers_to, c.record_id)
WHERE c.record_type IN ('response', 'revisit', 'resource');

CREATE VIEW articles_build AS
WITH seen AS (
    SELECT kind, item_key, content_sha256,
           min(capture_time) AS first_seen,
           max(capture_time) AS last_seen,
           count(*) AS times_seen
    FROM capture_content
    GROUP BY ALL
), origin AS (
    SELECT *
    FROM extractions
    QUALIFY row_number() OVER (
        PARTITION BY kind, item_key, content_sha256 ORDER BY capture_time, record_id
    ) = 1
)
SELECT
    o.item_key AS article_key,
    o.url,
    o.title,
    o.published,
    o.language,
    o.text,
    o.content_sha256,
    s.first_seen,
    s.last_seen,
    s.times_seen,
    o.page_date,
    o.url_date,
    o.date_agrees,
    o.date_source,
    o.authors,
    o.description,
    o.markdown,
    o.word_count,
    o.crawl_run_id,
    o.warc_file,
    o.warc_offset,
    o.record_id
FROM origin AS o
JOIN seen AS s USING (kind, item_key, content_sha256)
WHERE o.kind = 'article'
ORDER BY article_key, first_seen, content_sha256;

-- One row per distinct version of an article's content.
CREATE TABLE articles AS SELECT * FROM articles_build LIMIT 0;

CREATE VIEW documents_build AS
WITH seen AS (
    SELECT item_key, content_sha256,
           min(capture_time) AS first_seen,
           max(capture_time) AS last_seen,
           count(*) AS times_seen
    FROM capture_content
    WHERE kind = 'document'
    GROUP BY ALL
), origin AS (
    SELECT *
    FROM extractions
    WHERE kind = 'document'
    QUALIFY row_number() OVER (PARTITION BY item_key, content_sha256 ORDER BY capture_time, record_id) = 1
)
SELECT
    o.url,
    o.title,
    o.language,
    o.pages,
    o.text,
    o.word_count,
    o.content_sha256,
    s.first_seen,
    s.last_seen,
    s.times_seen,
    o.crawl_run_id,
    o.warc_file,
    o.warc_offset,
    o.record_id
FROM origin AS o
JOIN seen AS s USING (item_key, content_sha256)
ORDER BY url, first_seen, content_sha256;

-- One row per distinct version of a PDF document (metadata and text layer).
CREATE TABLE documents AS SELECT * FROM documents_build LIMIT 0;

-- Content drift: each version of each article, numbered, with what changed since the previous.
CREATE VIEW article_versions AS
WITH numbered AS (
    SELECT
        *,
        row_number() OVER w AS version,
        count(*) OVER (PARTITION BY article_key) AS versions,
        lag(content_sha256) OVER w AS previous_sha256,
        lag(title) OVER w AS previous_title,
        lag(published) OVER w AS previous_published,
        lag(text) OVER w AS previous_text,
        lag(word_count) OVER w AS previous_word_count
    FROM articles
    WINDOW w AS (PARTITION BY article_key ORDER BY first_seen, content_sha256)
), diffed AS (
    SELECT
        *,
        string_split(text, chr(10)) AS paragraphs,
        string_split(coalesce(previous_text, ''), chr(10)) AS previous_paragraphs
    FROM numbered
)
SELECT
    article_key,
    version,
    versions,
    url,
    title,
    published,
    language,
    content_sha256,
    previous_sha256,
    first_seen,
    last_seen,
    crawl_run_id,
    previous_sha256 IS NOT NULL AND title IS DISTINCT FROM previous_title AS title_changed,
    previous_sha256 IS NOT NULL AND published IS DISTINCT FROM previous_published AS date_changed,
    CASE WHEN previous_sha256 IS NULL THEN 0 ELSE
        len(list_filter(paragraphs, p -> NOT list_contains(previous_paragraphs, p))) END AS paragraphs_added,
    CASE WHEN previous_sha256 IS NULL THEN 0 ELSE
        len(list_filter(previous_paragraphs, p -> NOT list_contains(paragraphs, p))) END AS paragraphs_removed,
    word_count - previous_word_count AS words_delta,
    CASE
        WHEN previous_sha256 IS NULL THEN 'first archived version'
        ELSE concat_ws(', ',
            CASE WHEN title IS DISTINCT FROM previous_title THEN 'title changed' END,
            CASE WHEN published IS DISTINCT FROM previous_published THEN 'date changed' END,
            CASE WHEN text IS DISTINCT FROM previous_text THEN
                len(list_filter(paragraphs, p -> NOT list_contains(previous_paragraphs, p)))
                || ' paragraph(s) added or changed, '
                || len(list_filter(previous_paragraphs, p -> NOT list_contains(paragraphs, p)))
                || ' removed or changed' END)
    END AS change_summary,
    record_id,
    warc_file,
    warc_offset
FROM diffed;

-- One row per article: its latest version, plus how often it changed and what was seen last.
CREATE VIEW articles_latest AS
WITH last_capture AS (
    -- the newest capture of the article's address that is not a redirect
    SELECT article_key, status AS last_status, capture_time AS last_capture_time
    FROM captures
    WHERE article_key IS NOT NULL AND NOT (status BETWEEN 300 AND 399 AND status <> 304)
    QUALIFY row_number() OVER (PARTITION BY article_key ORDER BY capture_time DESC, record_id DESC) = 1
)
SELECT
    a.article_key,
    a.url,
    a.title,
    a.published,
    a.language,
    a.text,
    a.content_sha256,
    a.first_seen,
    a.last_seen,
    count(*) OVER (PARTITION BY a.article_key) AS versions,
    min(a.first_seen) OVER (PARTITION BY a.article_key) AS first_archived,
    l.last_status,
    l.last_capture_time,
    coalesce(l.last_status IN (404, 410), false) AS gone,
    a.page_date,
    a.url_date,
    a.date_agrees,
    a.authors,
    a.description,
    a.word_count,
    a.markdown,
    a.warc_file,
    a.warc_offset,
    a.record_id
FROM articles AS a
LEFT JOIN last_capture AS l USING (article_key)
QUALIFY row_number() OVER (
    PARTITION BY a.article_key ORDER BY a.last_seen DESC, a.first_seen DESC, a.content_sha256
) = 1;

-- What each crawl run did.
CREATE VIEW crawl_runs AS
WITH caps AS (
    SELECT
        crawl_run_id AS run_id,
        min(capture_time) AS first_capture,
        max(capture_time) AS last_capture,
        count(*) AS captures,
        count(*) FILTER (WHERE record_type = 'response') AS responses,
        count(*) FILTER (WHERE record_type = 'revisit') AS revisits,
        count(*) FILTER (WHERE status >= 400) AS errors,
        count(*) FILTER (WHERE truncated IS NOT NULL) AS truncated
    FROM captures
    GROUP BY ALL
), versions AS (
    SELECT
        crawl_run_id AS run_id,
        count(*) FILTER (WHERE version = 1) AS new_articles,
        count(*) FILTER (WHERE version > 1) AS changed_articles,
        count(*) AS article_versions
    FROM article_versions
    GROUP BY ALL
), files AS (
    SELECT
        crawl_run_id AS run_id,
        count(*) AS warc_files,
        sum(size) AS warc_bytes,
        string_agg(warc_file, ' ' ORDER BY warc_file) AS files,
        sum(skipped) AS skipped_records
    FROM loaded_files
    GROUP BY ALL
)
SELECT
    c.run_id,
    c.first_capture,
    c.last_capture,
    c.captures,
    c.responses,
    c.revisits,
    c.errors,
    c.truncated,
    coalesce(v.new_articles, 0) AS new_articles,
    coalesce(v.changed_articles, 0) AS changed_articles,
    coalesce(v.article_versions, 0) AS article_versions,
    f.warc_files,
    f.warc_bytes,
    f.skipped_records,
    f.files
FROM caps AS c
LEFT JOIN versions AS v USING (run_id)
LEFT JOIN files AS f USING (run_id)
ORDER BY c.first_capture;
