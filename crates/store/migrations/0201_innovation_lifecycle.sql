-- What keeps an innovation alive after a change of leadership:
-- institutionalisation (legal basis, budget, SOP, RKPD, staff), periodic
-- monitoring reports with indicators, and replication between regions.

CREATE TABLE innovation_institution (
    innovation_id BIGINT PRIMARY KEY REFERENCES innovations (id),
    legal_kind TEXT CHECK (legal_kind IN ('sk_kepala_opd', 'perkada', 'perda')),
    legal_number TEXT,
    -- YYYY-MM-DD
    legal_date TEXT,
    -- The latest APBD year with a budget line, and the line itself.
    budget_year BIGINT,
    budget_line TEXT,
    has_sop BOOLEAN NOT NULL DEFAULT FALSE,
    in_rkpd BOOLEAN NOT NULL DEFAULT FALSE,
    dedicated_staff BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at BIGINT NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE monitoring_reports (
    id {{pk}},
    innovation_id BIGINT NOT NULL REFERENCES innovations (id),
    -- The last day of the period reported on, YYYY-MM-DD.
    period_end TEXT NOT NULL,
    beneficiaries BIGINT CHECK (beneficiaries >= 0),
    notes TEXT NOT NULL DEFAULT '',
    author_label TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX monitoring_reports_innovation ON monitoring_reports (innovation_id, period_end);

CREATE TABLE monitoring_indicators (
    report_id BIGINT NOT NULL REFERENCES monitoring_reports (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    baseline DOUBLE PRECISION,
    target DOUBLE PRECISION,
    actual DOUBLE PRECISION,
    PRIMARY KEY (report_id, position)
);

-- Innovation `adopter_id` (of one region) replicates `origin_id` (of another).
CREATE TABLE replications (
    id {{pk}},
    origin_id BIGINT NOT NULL REFERENCES innovations (id),
    adopter_id BIGINT NOT NULL REFERENCES innovations (id),
    status TEXT NOT NULL CHECK (status IN ('menjajaki', 'mengadopsi', 'diterapkan', 'dihentikan')),
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (origin_id, adopter_id),
    CHECK (origin_id <> adopter_id)
);
CREATE INDEX replications_adopter ON replications (adopter_id);
