-- Question: which English articles best match "digital economy" (BM25 full-text ranking)?
-- Use: topic research. There is one index per language (search_en, search_ru, search_zh);
-- `scoarchive search` queries all of them. Needs the fts extension loaded (scoarchive sql does).
SELECT
    score,
    published,
    title,
    url
FROM (
    SELECT *, fts_main_search_en.match_bm25(article_key, 'digital economy', conjunctive := 1) AS score
    FROM search_en
)
WHERE score IS NOT NULL
ORDER BY score DESC, article_key
LIMIT 20;
