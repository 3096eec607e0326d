-- name: ready
-- /readyz: PostgreSQL answers and at least one round is loaded.
SELECT EXISTS (SELECT 1 FROM draws)
