-- A random identity per store, so caches shared by several stores (one Redis, two databases)
-- never mix their answers: cache keys and ETags include it.
ALTER TABLE data_state ADD COLUMN store_id uuid NOT NULL DEFAULT gen_random_uuid();
