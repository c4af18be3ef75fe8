-- Question: which article pages state a publication date other than the YYYYMMDD in their address?
-- Use: re-dated or mis-filed articles; citations whose date and address do not match.
SELECT
    article_key,
    url,
    title,
    page_date,
    url_date,
    page_date - url_date AS days_apart
FROM articles_latest
WHERE date_agrees = false
ORDER BY abs(page_date - url_date) DESC, article_key;
