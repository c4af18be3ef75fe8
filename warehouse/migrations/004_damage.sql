-- 004: damaged WARC data told apart from records whose content cannot be used.
-- A record cut short, unreadable bytes, a file changed since it was loaded: the WARC data itself
-- is damaged, which is a fixity finding (a load reports it and exits 1), unlike a gzip bomb or an
-- unreadable PDF, which are what a server sent.
ALTER TABLE skipped_records ADD COLUMN damaged BOOLEAN DEFAULT false;
UPDATE skipped_records SET damaged = true
WHERE starts_with(reason, 'record cut short') OR starts_with(reason, 'damaged WARC data')
   OR starts_with(reason, 'file changed since loaded');
