-- The ids of published innovations, alone: a search checks that the hits of
-- its page are still published through this index (about 600 KB for 100,000
-- innovations, so it stays in each connection's page cache) instead of
-- reading each hit's row, a random page of the table, from the file.
CREATE INDEX innovations_published ON innovations (id) WHERE status = 'terverifikasi';
