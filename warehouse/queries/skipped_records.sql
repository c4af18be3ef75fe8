-- Question: which archived records could not be used by the warehouse, and why?
-- Use: data quality (truncated downloads, gzip bombs, damaged WARC files, unreadable PDFs).
SELECT
    reason,
    count(*) AS records,
    min(url) AS example_url
FROM skipped_records
GROUP BY reason
ORDER BY records DESC, reason;
