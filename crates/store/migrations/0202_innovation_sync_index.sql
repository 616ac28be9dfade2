-- Every node's search index follows the innovations by `updated_at`
-- (rumah_store::innovations::search_feed): an index keeps that read cheap.
CREATE INDEX innovations_updated ON innovations (updated_at);
