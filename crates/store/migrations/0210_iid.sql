-- IID self-assessment (Indeks Inovasi Daerah), innovation level: the rules
-- of each assessment year as data, and each innovation's chosen levels.
--
-- Every number below is UNCONFIRMED (weights from an unofficial transcript
-- of the 2026 catalogue, region formula and predikat thresholds from the
-- 2023 slides). The province administrator edits them at /admin/iid and
-- copies a year to a new one; no code change is needed. See docs/IID.md.

-- The region-level rules of a year: divisor floor and skor jumlah inovasi
-- of the SID formula, and the lowest index of each predikat.
CREATE TABLE iid_years (
    year BIGINT PRIMARY KEY CHECK (year BETWEEN 2000 AND 2100),
    divisor_floor BIGINT NOT NULL CHECK (divisor_floor >= 1),
    points_per_innovation DOUBLE PRECISION NOT NULL,
    cap BIGINT NOT NULL CHECK (cap >= 0),
    sangat_inovatif DOUBLE PRECISION NOT NULL,
    inovatif DOUBLE PRECISION NOT NULL,
    kurang_inovatif DOUBLE PRECISION NOT NULL,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

-- The innovation-level indicators (SID, numbers 16-35 in the 2023
-- structure) of a year: score = weight x level (1-3).
CREATE TABLE iid_indicators (
    year BIGINT NOT NULL REFERENCES iid_years (year),
    number BIGINT NOT NULL,
    name TEXT NOT NULL,
    weight DOUBLE PRECISION NOT NULL,
    mandatory BOOLEAN NOT NULL DEFAULT FALSE,
    level1 TEXT NOT NULL,
    level2 TEXT NOT NULL,
    level3 TEXT NOT NULL,
    PRIMARY KEY (year, number)
);

-- An innovation's chosen level (0 = not filled) and evidence per indicator.
CREATE TABLE iid_assessments (
    innovation_id BIGINT NOT NULL REFERENCES innovations (id),
    year BIGINT NOT NULL,
    number BIGINT NOT NULL,
    level BIGINT NOT NULL CHECK (level BETWEEN 0 AND 3),
    evidence TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (innovation_id, year, number),
    FOREIGN KEY (year, number) REFERENCES iid_indicators (year, number)
);
CREATE INDEX iid_assessments_year ON iid_assessments (year, innovation_id);

INSERT INTO iid_years (year, divisor_floor, points_per_innovation, cap, sangat_inovatif, inovatif, kurang_inovatif, updated_at, updated_by)
VALUES (2026, 10, 0.38, 200, 60.01, 35.00, 0.01, 0, 'migrasi');

INSERT INTO iid_indicators (year, number, name, weight, mandatory, level1, level2, level3) VALUES
    (2026, 16, 'Regulasi inovasi daerah', 3, TRUE,
        'SK kepala perangkat daerah', 'Peraturan kepala daerah (Perkada)', 'Peraturan daerah (Perda)'),
    (2026, 17, 'Ketersediaan dan peran SDM', 2, TRUE,
        '1-10 orang SDM yang menguasai inovasi', '11-30 orang SDM yang menguasai inovasi', 'Lebih dari 30 orang SDM yang menguasai inovasi'),
    (2026, 18, 'Dukungan anggaran', 2, FALSE,
        'Anggaran dialokasikan pada kegiatan penerapan inovasi di tahun berjalan', 'Anggaran dialokasikan pada satu tahun anggaran sebelumnya', 'Anggaran dialokasikan pada dua tahun anggaran sebelumnya atau lebih'),
    (2026, 19, 'Alat kerja', 2, FALSE,
        'Ada alat kerja pendukung (nondigital)', 'Alat kerja berupa perangkat/aplikasi digital', 'Alat kerja digital yang terintegrasi dengan sistem lain'),
    (2026, 20, 'Bimtek inovasi', 1, FALSE,
        'Satu kali bimtek dalam dua tahun terakhir', 'Dua kali bimtek dalam dua tahun terakhir', 'Tiga kali bimtek atau lebih dalam dua tahun terakhir'),
    (2026, 21, 'Integrasi program di RKPD', 2, FALSE,
        'Program inovasi tercantum dalam RKPD tahun berjalan', 'Tercantum dalam RKPD satu tahun sebelumnya', 'Tercantum dalam RKPD dua tahun terakhir berturut-turut'),
    (2026, 22, 'Keterlibatan aktor', 1, FALSE,
        'Inovasi melibatkan 1-2 aktor', 'Inovasi melibatkan 3-4 aktor', 'Inovasi melibatkan 5 aktor atau lebih'),
    (2026, 23, 'Pelaksana inovasi', 1, FALSE,
        'Ada pelaksana tanpa penetapan', 'Ada penetapan tim pelaksana (SK kepala perangkat daerah)', 'Ada penetapan tim pelaksana oleh kepala daerah'),
    (2026, 24, 'Jejaring inovasi', 1, FALSE,
        'Melibatkan 1-2 perangkat daerah', 'Melibatkan 3-4 perangkat daerah', 'Melibatkan 5 perangkat daerah atau lebih'),
    (2026, 25, 'Sosialisasi', 1, FALSE,
        'Sosialisasi melalui media internal perangkat daerah', 'Sosialisasi melalui media sosial atau media daring', 'Sosialisasi melalui media massa (cetak/elektronik) dan media daring'),
    (2026, 26, 'Pedoman teknis', 1, FALSE,
        'Pedoman teknis berupa buku/dokumen cetak', 'Pedoman teknis dapat diunduh secara daring', 'Pedoman teknis terpadu di dalam aplikasi/sistem daring'),
    (2026, 27, 'Kemudahan informasi layanan', 1, FALSE,
        'Informasi layanan melalui nomor telepon/papan informasi', 'Informasi layanan melalui media sosial atau surel', 'Informasi layanan melalui aplikasi atau situs web khusus'),
    (2026, 28, 'Kemudahan proses', 2, FALSE,
        'Hasil layanan diterima lebih dari 6 hari', 'Hasil layanan diterima dalam 2-5 hari', 'Hasil layanan diterima dalam 1 hari atau langsung'),
    (2026, 29, 'Penyelesaian pengaduan', 1, FALSE,
        'Kurang dari 50% pengaduan selesai', '50-80% pengaduan selesai', 'Lebih dari 80% pengaduan selesai'),
    (2026, 30, 'Layanan terintegrasi', 2, FALSE,
        'Terintegrasi dengan satu layanan lain dalam perangkat daerah', 'Terintegrasi dengan layanan perangkat daerah lain', 'Terintegrasi dengan layanan pemerintah pusat atau daerah lain'),
    (2026, 31, 'Replikasi', 3, FALSE,
        'Direplikasi oleh 1 daerah', 'Direplikasi oleh 2-5 daerah', 'Direplikasi oleh lebih dari 5 daerah'),
    (2026, 32, 'Kecepatan penciptaan', 2, TRUE,
        'Inovasi tercipta dalam 9 bulan atau lebih', 'Inovasi tercipta dalam 5-8 bulan', 'Inovasi tercipta dalam 1-4 bulan'),
    (2026, 33, 'Kemanfaatan', 3, TRUE,
        'Penerima manfaat 1-200 orang', 'Penerima manfaat 201-500 orang', 'Penerima manfaat 501 orang atau lebih'),
    (2026, 34, 'Monitoring dan evaluasi', 2, FALSE,
        'Laporan monitoring dan evaluasi internal', 'Laporan survei kepuasan masyarakat (SKM)', 'Evaluasi berbasis penelitian oleh pihak eksternal'),
    (2026, 35, 'Video inovasi', 4, TRUE,
        'Video tanpa substansi inovasi yang jelas', 'Video memuat latar belakang dan penerapan inovasi', 'Video memuat latar belakang, penerapan dan dampak inovasi');
