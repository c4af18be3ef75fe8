-- Question: which articles changed after they were first archived, and what changed?
-- Use: content drift (silent edits); each row is one version after the first.
SELECT
    article_key,
    version,
    versions,
    title,
    first_seen,
    previous_sha256,
    content_sha256,
    title_changed,
    paragraphs_added,
    paragraphs_removed,
    words_delta,
    change_summary
FROM article_versions
WHERE version > 1
ORDER BY first_seen DESC, article_key;
