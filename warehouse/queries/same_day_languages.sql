-- Question: on which days did the three language sites publish, and how many articles each?
-- Use: finding stories published in one language only (translation gaps).
SELECT
    published,
    count(*) FILTER (WHERE language = 'en') AS english,
    count(*) FILTER (WHERE language = 'ru') AS russian,
    count(*) FILTER (WHERE language = 'zh') AS chinese
FROM articles_latest
WHERE published IS NOT NULL
GROUP BY published
ORDER BY published DESC;
