-- Evidence files and photos of innovations (regulations, SOPs, reports,
-- photos). The bytes live in the blob store under their SHA-256
-- (`blob_key`); a row is the only thing that makes a blob visible.
--
-- `public`: the owner marked the file for the public page, where it shows
-- only while the innovation is published. Every other file is seen only by
-- those who manage or curate the innovation.

CREATE TABLE innovation_files (
    id {{pk}},
    innovation_id BIGINT NOT NULL REFERENCES innovations (id),
    kind TEXT NOT NULL CHECK (kind IN ('regulasi', 'sop', 'laporan', 'foto', 'lainnya')),
    title TEXT NOT NULL,
    blob_key TEXT NOT NULL CHECK (length(blob_key) = 64),
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL CHECK (size_bytes >= 0),
    -- The uploaded name, reduced to safe characters; for downloads only.
    original_name TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    public BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX innovation_files_innovation ON innovation_files (innovation_id, uploaded_at);
CREATE INDEX innovation_files_blob ON innovation_files (blob_key);
