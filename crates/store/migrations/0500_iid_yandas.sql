-- IID, skor jumlah inovasi: the least number of distinct urusan wajib
-- pelayanan dasar ("yandas": the six rows of urusan with kind
-- 'wajib_dasar', UU 23/2014) a region's counted innovations must cover;
-- below it the skor jumlah inovasi (MIN(n, cap) x points) is 0. 0 turns the
-- rule off.
--
-- UNCONFIRMED: an unofficial transcript of the 2026 catalogue says "fewer
-- than 5" in one place and sets 6 "from 2027 on". Existing years get 5; the
-- province administrator edits it per year at /admin/iid. See docs/IID.md.
ALTER TABLE iid_years ADD COLUMN min_yandas BIGINT NOT NULL DEFAULT 0 CHECK (min_yandas BETWEEN 0 AND 6);
UPDATE iid_years SET min_yandas = 5;
