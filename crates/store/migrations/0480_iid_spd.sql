-- IID, SPD aspect (satuan pemerintahan daerah, indicators 1-15): the
-- region-level indicators of each assessment year, kept in iid_indicators
-- next to the SID ones (one numbering, one admin page, one "copy year"), and
-- each region's chosen levels.
--
-- Every number below is UNCONFIRMED. Weights, mandatory flags and level
-- wording follow an unofficial transcript of the 2026 catalogue (Lampiran
-- I/II of a BSKDN letter), whose maxima give SPD 63 of 250 (25.2%, the
-- official 2023 share). The transcript splits indicators 2, 5, 10, 11 and 13
-- into halves a and b; here each is one indicator whose weight is the sum
-- of its halves, so the maximum stays 63, and its level descriptions name
-- both halves ("a; b"). The province administrator edits all of it at
-- /admin/iid. See docs/IID.md.

-- 'spd' (indicators 1-15, region level) or 'sid' (16-35, innovation level).
ALTER TABLE iid_indicators ADD COLUMN aspect TEXT NOT NULL DEFAULT 'sid' CHECK (aspect IN ('spd', 'sid'));
-- The variable of the national structure the indicator belongs to.
ALTER TABLE iid_indicators ADD COLUMN variable TEXT NOT NULL DEFAULT '';

-- A region's chosen level (0 = not filled) and evidence per SPD indicator.
CREATE TABLE iid_region_assessments (
    region_code TEXT NOT NULL REFERENCES org_nodes (code),
    year BIGINT NOT NULL,
    number BIGINT NOT NULL,
    level BIGINT NOT NULL CHECK (level BETWEEN 0 AND 3),
    evidence TEXT NOT NULL DEFAULT '' CHECK (length(evidence) <= 2000),
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (region_code, year, number),
    FOREIGN KEY (year, number) REFERENCES iid_indicators (year, number)
);
CREATE INDEX iid_region_assessments_year ON iid_region_assessments (year, region_code);

UPDATE iid_indicators SET variable = 'Infrastruktur' WHERE number IN (16, 17, 18, 20, 21);
UPDATE iid_indicators SET variable = 'Output Pengetahuan dan Teknologi' WHERE number IN (22, 23, 24, 25);
UPDATE iid_indicators SET variable = 'Kecepatan Bisnis Proses' WHERE number IN (26, 27, 28, 29, 32);
UPDATE iid_indicators SET variable = 'Kecanggihan Produk' WHERE number IN (19, 30, 31);
UPDATE iid_indicators SET variable = 'Jumlah Inovasi dan Hasil Kreatif' WHERE number IN (33, 34, 35);

-- Weights 1, 2, 1, 1, 1.5, 1.5, 1.5, 1.5, 1, 1.5, 1.5, 2, 2, 1, 1: sum 21,
-- maximum SPD 21 x 3 = 63.
INSERT INTO iid_indicators (year, number, name, weight, mandatory, level1, level2, level3, aspect, variable) VALUES
    (2026, 1, 'Visi dan misi', 1, TRUE,
        'Kepala daerah memiliki misi inovasi', 'Kepala daerah memiliki visi inovasi', 'Kepala daerah memiliki visi dan misi inovasi',
        'spd', 'Institusi'),
    (2026, 2, 'APBD tepat waktu dan mandatory spending', 2, FALSE,
        'APBD ditetapkan tepat waktu 1 dari 3 tahun terakhir; mandatory spending memenuhi 2 komponen',
        'APBD tepat waktu 2 dari 3 tahun terakhir; mandatory spending memenuhi 3 komponen',
        'APBD tepat waktu 3 tahun terakhir; mandatory spending memenuhi lebih dari 3 komponen',
        'spd', 'Institusi'),
    (2026, 3, 'Kualitas peningkatan perizinan', 1, TRUE,
        'Perubahan kualitas perizinan paling tinggi -50,32%', 'Perubahan -50,33% sampai 8,16%', 'Perubahan 8,17% atau lebih',
        'spd', 'Institusi'),
    (2026, 4, 'Pendapatan per kapita', 1, TRUE,
        'Kenaikan pendapatan per kapita paling tinggi 2,04%', 'Kenaikan 2,05% sampai 5,23%', 'Kenaikan lebih dari 5,23%',
        'spd', 'Institusi'),
    (2026, 5, 'Tingkat pengangguran terbuka (TPT)', 1.5, TRUE,
        'Penurunan TPT paling tinggi 0,00; TPT T-1 5,91% atau lebih',
        'Penurunan TPT 0,01 sampai 0,36; TPT T-1 2,34% sampai 5,92%',
        'Penurunan TPT lebih dari 0,36; TPT T-1 paling tinggi 2,35%',
        'spd', 'Institusi'),
    (2026, 6, 'Peningkatan investasi', 1.5, TRUE,
        'Perubahan investasi paling tinggi -47,42%', 'Perubahan -47,43% sampai 94,75%', 'Perubahan 94,76% atau lebih',
        'spd', 'Institusi'),
    (2026, 7, 'Peningkatan pendapatan asli daerah (PAD)', 1.5, TRUE,
        'Perubahan PAD paling tinggi -5,14%', 'Perubahan -5,15% sampai 33,84%', 'Perubahan 33,85% atau lebih',
        'spd', 'Institusi'),
    (2026, 8, 'Opini BPK', 1.5, TRUE,
        'Tidak menyatakan pendapat (TMP) atau tidak wajar (TW)', 'Wajar dengan pengecualian (WDP)', 'Wajar tanpa pengecualian (WTP)',
        'spd', 'Institusi'),
    (2026, 9, 'Nilai LAKIP', 1, TRUE,
        'Nilai LAKIP C atau D', 'Nilai LAKIP B', 'Nilai LAKIP A',
        'spd', 'Institusi'),
    (2026, 10, 'Kemiskinan', 1.5, TRUE,
        'Penurunan angka kemiskinan paling tinggi 0,07; penduduk miskin T-1 13,10% atau lebih',
        'Penurunan 0,08 sampai 1,15; penduduk miskin T-1 4,81% sampai 13,11%',
        'Penurunan 1,16 atau lebih; penduduk miskin T-1 paling tinggi 4,82%',
        'spd', 'Institusi'),
    (2026, 11, 'Indeks pembangunan manusia (IPM)', 1.5, TRUE,
        'Kenaikan IPM dua tahun terakhir paling tinggi 0,55; IPM terakhir paling tinggi 69,99',
        'Kenaikan IPM 0,56 sampai 0,90; IPM 70,00 sampai 79,99',
        'Kenaikan IPM lebih dari 0,90; IPM 80,00 atau lebih',
        'spd', 'Sumber Daya Manusia'),
    (2026, 12, 'Penghargaan bagi inovator', 2, FALSE,
        'Piagam penghargaan bagi inovator', 'Piagam dan insentif bagi inovator', 'Piagam, insentif dan mekanisme pembudayaan inovasi',
        'spd', 'Sumber Daya Manusia'),
    (2026, 13, 'Rekomendasi kebijakan dan Indeks Kualitas Kebijakan', 2, FALSE,
        '1-3 rekomendasi kebijakan yang mendukung inovasi; Indeks Kualitas Kebijakan cukup atau kurang',
        '4-7 rekomendasi kebijakan; Indeks Kualitas Kebijakan baik',
        'Lebih dari 7 rekomendasi kebijakan; Indeks Kualitas Kebijakan sangat baik atau unggul',
        'spd', 'Ekosistem Inovasi dan Kajian'),
    (2026, 14, 'Rencana Induk dan Peta Jalan Pemajuan Iptek Daerah (RIPJ PID)', 1, FALSE,
        'RIPJ PID masih rancangan', 'Dokumen RIPJ PID selesai dan disepakati', 'RIPJ PID ditetapkan dengan Perkada',
        'spd', 'Ekosistem Inovasi dan Kajian'),
    (2026, 15, 'Fasilitasi hak kekayaan intelektual (HKI) inovasi daerah', 1, FALSE,
        'Sosialisasi HKI', 'Sosialisasi dan fasilitasi administrasi HKI', 'Sosialisasi, fasilitasi dan insentif pembiayaan HKI',
        'spd', 'Ekosistem Inovasi dan Kajian');
