-- 001: what the WARC files hold, one row per record the warehouse reads.
-- Every column of these tables is a function of the WARC files alone (no load timestamps),
-- so `scoarchive reindex` rebuilds exactly the same rows. Times are UTC.

-- Which closed WARC files are in the warehouse; a file is loaded in one transaction.
CREATE TABLE loaded_files (
    warc_file     VARCHAR PRIMARY KEY,  -- file name under DATA/warcs/
    size          BIGINT NOT NULL,      -- bytes when loaded (closed files never change)
    crawl_run_id  VARCHAR,              -- warcinfo isPartOf
    records       BIGINT NOT NULL,      -- WARC records read
    skipped       BIGINT NOT NULL       -- records skipped (see skipped_records)
);

-- One row per WARC response, revisit or resource record.
CREATE TABLE captures (
    record_id        VARCHAR PRIMARY KEY,  -- WARC-Record-ID
    url              VARCHAR NOT NULL,     -- WARC-Target-URI, as captured
    surt             VARCHAR,              -- SURT sort key of url
    capture_time     TIMESTAMP NOT NULL,   -- WARC-Date, UTC, microseconds
    status           SMALLINT,             -- HTTP status (304 for not-modified revisits)
    mime             VARCHAR,              -- media type of the HTTP Content-Type, lower case
    payload_digest   VARCHAR,              -- WARC-Payload-Digest (sha1:BASE32)
    record_type      VARCHAR NOT NULL,     -- response | revisit | resource
    warc_file        VARCHAR NOT NULL,
    warc_offset      BIGINT NOT NULL,      -- offset of the record's gzip member
    warc_length      BIGINT NOT NULL,      -- compressed length of the record
    crawl_run_id     VARCHAR,
    refers_to        VARCHAR,              -- revisits: WARC-Refers-To (record holding the payload)
    refers_to_uri    VARCHAR,              -- revisits: WARC-Refers-To-Target-URI
    refers_to_date   TIMESTAMP,            -- revisits: WARC-Refers-To-Date
    revisit_profile  VARCHAR,              -- revisits: server-not-modified | identical-payload-digest
    article_key      VARCHAR,              -- host/ID when the URL is an article address
    content_length   BIGINT,               -- WARC Content-Length (HTTP headers + stored body)
    content_encoding VARCHAR,              -- HTTP Content-Encoding of the stored body
    truncated        VARCHAR,              -- WARC-Truncated reason (length, time ...)
    location         VARCHAR               -- redirects: HTTP Location
);
CREATE INDEX captures_url ON captures (url);
CREATE INDEX captures_article_key ON captures (article_key);

-- What extraction read from each full capture of an article page or a PDF.
CREATE TABLE extractions (
    record_id      VARCHAR PRIMARY KEY,  -- the response record the content came from
    kind           VARCHAR NOT NULL,     -- article | document
    item_key       VARCHAR NOT NULL,     -- article_key for articles, URL for documents
    url            VARCHAR NOT NULL,
    capture_time   TIMESTAMP NOT NULL,
    crawl_run_id   VARCHAR,
    warc_file      VARCHAR NOT NULL,
    warc_offset    BIGINT NOT NULL,
    title          VARCHAR,
    published      DATE,                 -- page date, else the URL's YYYYMMDD
    page_date      DATE,                 -- date the page states (<time>, meta, htmldate)
    url_date       DATE,                 -- YYYYMMDD of the SCO address
    date_agrees    BOOLEAN,              -- page_date = url_date (NULL if either is missing)
    date_source    VARCHAR,              -- meta | time | htmldate | url
    authors        VARCHAR[],
    language       VARCHAR,              -- ISO 639-1
    description    VARCHAR,
    encoding       VARCHAR,              -- codec the HTML was decoded with
    text           VARCHAR NOT NULL,     -- main text, paragraphs separated by newlines
    markdown       VARCHAR,
    word_count     INTEGER,
    pages          INTEGER,              -- documents: PDF page count
    content_sha256 VARCHAR NOT NULL      -- digest of title, published and text
);
CREATE INDEX extractions_item ON extractions (item_key);

-- Records the loader could not use, and why (truncated, gzip bomb, binary, damaged WARC).
CREATE TABLE skipped_records (
    warc_file   VARCHAR NOT NULL,
    warc_offset BIGINT NOT NULL,
    record_id   VARCHAR,
    url         VARCHAR,
    reason      VARCHAR NOT NULL,
    PRIMARY KEY (warc_file, warc_offset)
);

-- Links the crawler recorded but did not follow (metadata records: share links, partners).
CREATE TABLE outlinks (
    record_id   VARCHAR NOT NULL,  -- the metadata record
    source_url  VARCHAR NOT NULL,
    target_url  VARCHAR NOT NULL,
    PRIMARY KEY (record_id, target_url)
);

-- Loader bookkeeping (not analyst data): whether the work database has unpublished changes.
CREATE TABLE warehouse_state (
    key   VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
