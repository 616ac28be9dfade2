-- SKM: citizen satisfaction surveys (Survei Kepuasan Masyarakat,
-- PermenPANRB 14/2017) of public-service units.
--
-- Raw answers are kept (for exports and re-aggregation); every accepted
-- response also adds to `skm_tallies`, a per unit/service/month sum, in the
-- same transaction, so result pages never scan raw answers and every node
-- sees the same figures.

-- The questionnaire as data: element order, names, questions and the four
-- answer labels (score 1 to 4). Sources disagree on the order of U8/U9; this
-- follows the order of the regulation's list of elements (h. penanganan
-- pengaduan, i. sarana dan prasarana). A later questionnaire is a new
-- version, never an edit of this one.
CREATE TABLE skm_elements (
    version TEXT NOT NULL,
    position BIGINT NOT NULL CHECK (position BETWEEN 1 AND 9),
    code TEXT NOT NULL,
    name_id TEXT NOT NULL,
    name_en TEXT NOT NULL,
    question_id TEXT NOT NULL,
    question_en TEXT NOT NULL,
    label1_id TEXT NOT NULL,
    label2_id TEXT NOT NULL,
    label3_id TEXT NOT NULL,
    label4_id TEXT NOT NULL,
    label1_en TEXT NOT NULL,
    label2_en TEXT NOT NULL,
    label3_en TEXT NOT NULL,
    label4_en TEXT NOT NULL,
    PRIMARY KEY (version, position)
);
INSERT INTO skm_elements VALUES
    ('2017', 1, 'persyaratan', 'Persyaratan', 'Requirements',
     'Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?',
     'How well do the requirements match the service you received?',
     'Tidak sesuai', 'Kurang sesuai', 'Sesuai', 'Sangat sesuai',
     'Not appropriate', 'Somewhat appropriate', 'Appropriate', 'Very appropriate'),
    ('2017', 2, 'prosedur', 'Sistem, Mekanisme, dan Prosedur', 'System, mechanism and procedure',
     'Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?',
     'How easy was the service procedure at this unit?',
     'Tidak mudah', 'Kurang mudah', 'Mudah', 'Sangat mudah',
     'Not easy', 'Somewhat easy', 'Easy', 'Very easy'),
    ('2017', 3, 'waktu', 'Waktu Penyelesaian', 'Completion time',
     'Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?',
     'How fast was the service delivered?',
     'Tidak cepat', 'Kurang cepat', 'Cepat', 'Sangat cepat',
     'Not fast', 'Somewhat fast', 'Fast', 'Very fast'),
    ('2017', 4, 'biaya', 'Biaya/Tarif', 'Cost/fee',
     'Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?',
     'How fair was the cost or fee of the service?',
     'Sangat mahal', 'Cukup mahal', 'Murah', 'Gratis',
     'Very expensive', 'Fairly expensive', 'Cheap', 'Free of charge'),
    ('2017', 5, 'produk', 'Produk Spesifikasi Jenis Pelayanan', 'Service product',
     'Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam standar pelayanan dengan hasil yang diberikan?',
     'How well did the result match what the service standard promises?',
     'Tidak sesuai', 'Kurang sesuai', 'Sesuai', 'Sangat sesuai',
     'Not appropriate', 'Somewhat appropriate', 'Appropriate', 'Very appropriate'),
    ('2017', 6, 'kompetensi', 'Kompetensi Pelaksana', 'Staff competence',
     'Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?',
     'How competent were the staff who served you?',
     'Tidak kompeten', 'Kurang kompeten', 'Kompeten', 'Sangat kompeten',
     'Not competent', 'Somewhat competent', 'Competent', 'Very competent'),
    ('2017', 7, 'perilaku', 'Perilaku Pelaksana', 'Staff conduct',
     'Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan keramahan?',
     'How polite and friendly were the staff?',
     'Tidak sopan dan ramah', 'Kurang sopan dan ramah', 'Sopan dan ramah', 'Sangat sopan dan ramah',
     'Not polite or friendly', 'Somewhat polite and friendly', 'Polite and friendly', 'Very polite and friendly'),
    ('2017', 8, 'pengaduan', 'Penanganan Pengaduan, Saran dan Masukan', 'Handling of complaints and suggestions',
     'Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?',
     'How are complaints from service users handled?',
     'Tidak ada', 'Ada tetapi tidak berfungsi', 'Berfungsi kurang maksimal', 'Dikelola dengan baik',
     'There is none', 'Exists but does not work', 'Works, but not fully', 'Well managed'),
    ('2017', 9, 'sarana', 'Sarana dan Prasarana', 'Facilities',
     'Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?',
     'What is the quality of the facilities?',
     'Buruk', 'Cukup', 'Baik', 'Sangat baik',
     'Poor', 'Fair', 'Good', 'Very good');

-- A public-service unit (unit layanan) that runs SKM. It hangs on an org
-- node (usually a unit or an OPD); its public link is /skm/<slug>.
CREATE TABLE skm_units (
    id {{pk}},
    org_id BIGINT NOT NULL REFERENCES org_nodes (id),
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    element_version TEXT NOT NULL DEFAULT '2017',
    -- Closed units show the form as closed and accept nothing.
    open BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX skm_units_org ON skm_units (org_id);

-- A service (jenis layanan) offered by a unit.
CREATE TABLE skm_services (
    id {{pk}},
    unit_id BIGINT NOT NULL REFERENCES skm_units (id),
    name TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at BIGINT NOT NULL,
    UNIQUE (unit_id, name)
);

-- People served per service and year: the population behind the sample size.
CREATE TABLE skm_service_volumes (
    service_id BIGINT NOT NULL REFERENCES skm_services (id),
    year BIGINT NOT NULL,
    served BIGINT NOT NULL CHECK (served >= 0),
    PRIMARY KEY (service_id, year)
);

-- One accepted questionnaire. Nothing here identifies the respondent: no
-- account, no address, no token. `submission_key` is the random key the form
-- was rendered with, so a double tap or a retry is stored once.
CREATE TABLE skm_responses (
    id {{pk}},
    unit_id BIGINT NOT NULL REFERENCES skm_units (id),
    service_id BIGINT NOT NULL REFERENCES skm_services (id),
    submission_key TEXT NOT NULL UNIQUE,
    -- Calendar month of submission in WIB, as YYYYMM.
    month BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    -- YYYY-MM-DD, as the respondent gave it.
    service_date TEXT,
    age_band TEXT,
    gender TEXT,
    education TEXT,
    occupation TEXT,
    u1 SMALLINT NOT NULL CHECK (u1 BETWEEN 1 AND 4),
    u2 SMALLINT NOT NULL CHECK (u2 BETWEEN 1 AND 4),
    u3 SMALLINT NOT NULL CHECK (u3 BETWEEN 1 AND 4),
    u4 SMALLINT NOT NULL CHECK (u4 BETWEEN 1 AND 4),
    u5 SMALLINT NOT NULL CHECK (u5 BETWEEN 1 AND 4),
    u6 SMALLINT NOT NULL CHECK (u6 BETWEEN 1 AND 4),
    u7 SMALLINT NOT NULL CHECK (u7 BETWEEN 1 AND 4),
    u8 SMALLINT NOT NULL CHECK (u8 BETWEEN 1 AND 4),
    u9 SMALLINT NOT NULL CHECK (u9 BETWEEN 1 AND 4)
);
-- Exports page through a unit's responses in id order.
CREATE INDEX skm_responses_unit_id ON skm_responses (unit_id, id);

-- Pre-aggregated results: respondents and the sum of scores per element, per
-- unit, service and month. Every period (month, quarter, semester, year) is
-- a range of months. Rebuildable from skm_responses (`rumah skm retally`).
CREATE TABLE skm_tallies (
    unit_id BIGINT NOT NULL REFERENCES skm_units (id),
    service_id BIGINT NOT NULL REFERENCES skm_services (id),
    month BIGINT NOT NULL,
    respondents BIGINT NOT NULL,
    s1 BIGINT NOT NULL,
    s2 BIGINT NOT NULL,
    s3 BIGINT NOT NULL,
    s4 BIGINT NOT NULL,
    s5 BIGINT NOT NULL,
    s6 BIGINT NOT NULL,
    s7 BIGINT NOT NULL,
    s8 BIGINT NOT NULL,
    s9 BIGINT NOT NULL,
    PRIMARY KEY (unit_id, service_id, month)
);
CREATE INDEX skm_tallies_month ON skm_tallies (month);

-- The parts of the yearly Laporan SKM that the unit writes itself.
CREATE TABLE skm_reports (
    unit_id BIGINT NOT NULL REFERENCES skm_units (id),
    year BIGINT NOT NULL,
    analysis TEXT NOT NULL DEFAULT '',
    follow_up TEXT NOT NULL DEFAULT '',
    updated_at BIGINT NOT NULL,
    updated_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    PRIMARY KEY (unit_id, year)
);

-- Suggestions and complaints left with a response: a ticket for the unit.
-- Linked to the unit, not to the response, so published text cannot be
-- tied to a respondent's answers.
CREATE TABLE skm_feedback (
    id {{pk}},
    unit_id BIGINT NOT NULL REFERENCES skm_units (id),
    service_id BIGINT REFERENCES skm_services (id),
    kind TEXT NOT NULL CHECK (kind IN ('saran', 'pengaduan')),
    body TEXT NOT NULL,
    -- The respondent agreed that the text and the unit's answer be published.
    publish_consent BOOLEAN NOT NULL,
    status TEXT NOT NULL DEFAULT 'baru' CHECK (status IN ('baru', 'diproses', 'ditanggapi', 'selesai')),
    response TEXT,
    responded_at BIGINT,
    responded_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX skm_feedback_unit ON skm_feedback (unit_id, status, created_at);

-- Submissions per client address or device and hour, shared by every node.
-- Keys are keyed hashes (HMAC) of the address or device cookie, never the
-- raw values; rows older than the window are deleted as new ones arrive.
CREATE TABLE skm_rate (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX skm_rate_window ON skm_rate (window_start);
