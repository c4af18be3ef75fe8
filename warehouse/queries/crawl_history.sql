-- Question: what did each crawl run capture, and how much of it was new or changed?
-- Use: monitoring the archive (a run with no responses or many errors needs a look).
SELECT
    run_id,
    first_capture,
    last_capture,
    last_capture - first_capture AS duration,
    captures,
    responses,
    revisits,
    errors,
    new_articles,
    changed_articles,
    skipped_records,
    warc_files,
    warc_bytes
FROM crawl_runs
ORDER BY first_capture;
