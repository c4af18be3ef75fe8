-- Question: how many articles did each language site publish per month (latest versions)?
-- Use: publication rhythm, gaps in coverage, comparing the English/Russian/Chinese sites.
SELECT
    date_trunc('month', published) AS month,
    language,
    count(*) AS articles,
    sum(word_count) AS words
FROM articles_latest
WHERE published IS NOT NULL
GROUP BY ALL
ORDER BY month, language;
