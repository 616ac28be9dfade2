-- The innovation registry: profiles (PP 38/2017 and the national IID
-- reporting), their curation, and a version per edit.
--
-- Dates of the stages are ISO `YYYY-MM-DD` text: calendar dates, not
-- instants, and portable across both databases.

-- Urusan pemerintahan (UU 23/2014): the reference list innovations are
-- classified by, as data.
CREATE TABLE urusan (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('wajib_dasar', 'wajib_non_dasar', 'pilihan', 'penunjang')),
    position BIGINT NOT NULL
);
INSERT INTO urusan (code, name, kind, position) VALUES
    ('pendidikan', 'Pendidikan', 'wajib_dasar', 1),
    ('kesehatan', 'Kesehatan', 'wajib_dasar', 2),
    ('pupr', 'Pekerjaan Umum dan Penataan Ruang', 'wajib_dasar', 3),
    ('perumahan', 'Perumahan Rakyat dan Kawasan Permukiman', 'wajib_dasar', 4),
    ('trantibum', 'Ketenteraman, Ketertiban Umum dan Pelindungan Masyarakat', 'wajib_dasar', 5),
    ('sosial', 'Sosial', 'wajib_dasar', 6),
    ('tenaga_kerja', 'Tenaga Kerja', 'wajib_non_dasar', 7),
    ('pppa', 'Pemberdayaan Perempuan dan Pelindungan Anak', 'wajib_non_dasar', 8),
    ('pangan', 'Pangan', 'wajib_non_dasar', 9),
    ('pertanahan', 'Pertanahan', 'wajib_non_dasar', 10),
    ('lingkungan_hidup', 'Lingkungan Hidup', 'wajib_non_dasar', 11),
    ('adminduk', 'Administrasi Kependudukan dan Pencatatan Sipil', 'wajib_non_dasar', 12),
    ('pmd', 'Pemberdayaan Masyarakat dan Desa', 'wajib_non_dasar', 13),
    ('ppkb', 'Pengendalian Penduduk dan Keluarga Berencana', 'wajib_non_dasar', 14),
    ('perhubungan', 'Perhubungan', 'wajib_non_dasar', 15),
    ('kominfo', 'Komunikasi dan Informatika', 'wajib_non_dasar', 16),
    ('koperasi_ukm', 'Koperasi, Usaha Kecil dan Menengah', 'wajib_non_dasar', 17),
    ('penanaman_modal', 'Penanaman Modal', 'wajib_non_dasar', 18),
    ('pemuda_olahraga', 'Kepemudaan dan Olahraga', 'wajib_non_dasar', 19),
    ('statistik', 'Statistik', 'wajib_non_dasar', 20),
    ('persandian', 'Persandian', 'wajib_non_dasar', 21),
    ('kebudayaan', 'Kebudayaan', 'wajib_non_dasar', 22),
    ('perpustakaan', 'Perpustakaan', 'wajib_non_dasar', 23),
    ('kearsipan', 'Kearsipan', 'wajib_non_dasar', 24),
    ('kelautan_perikanan', 'Kelautan dan Perikanan', 'pilihan', 25),
    ('pariwisata', 'Pariwisata', 'pilihan', 26),
    ('pertanian', 'Pertanian', 'pilihan', 27),
    ('kehutanan', 'Kehutanan', 'pilihan', 28),
    ('esdm', 'Energi dan Sumber Daya Mineral', 'pilihan', 29),
    ('perdagangan', 'Perdagangan', 'pilihan', 30),
    ('perindustrian', 'Perindustrian', 'pilihan', 31),
    ('transmigrasi', 'Transmigrasi', 'pilihan', 32),
    ('perencanaan', 'Perencanaan', 'penunjang', 33),
    ('keuangan', 'Keuangan', 'penunjang', 34),
    ('kepegawaian', 'Kepegawaian', 'penunjang', 35),
    ('litbang', 'Penelitian dan Pengembangan', 'penunjang', 36),
    ('pengawasan', 'Pengawasan', 'penunjang', 37),
    ('pemerintahan_umum', 'Pemerintahan Umum dan Kesekretariatan', 'penunjang', 38);

CREATE TABLE innovations (
    id {{pk}},
    -- The owning OPD or unit; region_code is denormalised for facets.
    org_id BIGINT NOT NULL REFERENCES org_nodes (id),
    name TEXT NOT NULL,
    bentuk TEXT NOT NULL CHECK (bentuk IN ('tata_kelola', 'pelayanan_publik', 'lainnya')),
    jenis TEXT NOT NULL CHECK (jenis IN ('digital', 'non_digital')),
    inisiator TEXT NOT NULL CHECK (inisiator IN ('kepala_daerah', 'anggota_dprd', 'perangkat_daerah', 'asn', 'masyarakat')),
    urusan_code TEXT NOT NULL REFERENCES urusan (code),
    tahapan TEXT NOT NULL CHECK (tahapan IN ('inisiatif', 'uji_coba', 'penerapan')),
    date_inisiatif TEXT,
    date_uji_coba TEXT,
    date_penerapan TEXT,
    problem TEXT NOT NULL DEFAULT '',
    design TEXT NOT NULL DEFAULT '',
    goals TEXT NOT NULL DEFAULT '',
    benefits TEXT NOT NULL DEFAULT '',
    results TEXT NOT NULL DEFAULT '',
    beneficiaries BIGINT CHECK (beneficiaries >= 0),
    contact_name TEXT,
    contact_email TEXT,
    contact_phone TEXT,
    video_url TEXT,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'diajukan', 'ditinjau', 'perlu_revisi', 'terverifikasi', 'ditolak')),
    -- Optimistic concurrency: every save names the version it edited.
    version BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- First publication; NULL until verified.
    published_at BIGINT
);
CREATE INDEX innovations_org ON innovations (org_id);
CREATE INDEX innovations_status ON innovations (status, published_at);

CREATE TABLE innovation_sdgs (
    innovation_id BIGINT NOT NULL REFERENCES innovations (id),
    sdg BIGINT NOT NULL CHECK (sdg BETWEEN 1 AND 17),
    PRIMARY KEY (innovation_id, sdg)
);

-- Other OPDs or regions the innovation is run with.
CREATE TABLE innovation_collaborators (
    innovation_id BIGINT NOT NULL REFERENCES innovations (id),
    org_id BIGINT NOT NULL REFERENCES org_nodes (id),
    PRIMARY KEY (innovation_id, org_id)
);

-- Every saved state of a profile, as JSON, with who saved it and when.
CREATE TABLE innovation_versions (
    innovation_id BIGINT NOT NULL REFERENCES innovations (id),
    version BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    author_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    author_label TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (innovation_id, version)
);

-- The curation trail: every status change with its comment or reason.
CREATE TABLE innovation_reviews (
    id {{pk}},
    innovation_id BIGINT NOT NULL REFERENCES innovations (id),
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    note TEXT,
    actor_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    actor_label TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX innovation_reviews_innovation ON innovation_reviews (innovation_id, at);
