-- Question: every archived capture of one address, oldest first, and where it lives in the WARCs.
-- Use: citation checking ("what did this page say on that day?"); change the URL to yours.
SELECT
    capture_time,
    record_type,
    status,
    mime,
    payload_digest,
    refers_to,
    warc_file,
    warc_offset,
    warc_length
FROM captures
WHERE url = 'http://eng.sectsco.org/20210615/765514.html'
ORDER BY capture_time, record_id;
