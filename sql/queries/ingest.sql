-- Writes, used by api/ingest/store.py only: ingest is the one writer.

-- name: ingest_lock
SELECT pg_advisory_xact_lock($1);

-- name: refresh_try_lock
SELECT pg_try_advisory_lock($1);

-- name: refresh_unlock
SELECT pg_advisory_unlock($1);

-- name: seconds_since_last_ingest
SELECT extract(epoch FROM now() - max(finished_at)) FROM ingest_runs;

-- name: count_draws
SELECT count(*) FROM draws;

-- name: all_categories
SELECT id, slug, name, kind FROM categories;

-- name: all_aliases
SELECT alias, category_id, version FROM category_aliases;

-- name: insert_category
INSERT INTO categories (slug, name, kind) VALUES ($1, $2, $3) RETURNING id;

-- name: rename_category
UPDATE categories SET name = $2 WHERE id = $1 AND name IS DISTINCT FROM $2;

-- name: upsert_alias
INSERT INTO category_aliases (alias, category_id, version) VALUES ($1, $2, $3)
ON CONFLICT (alias) DO UPDATE SET category_id = EXCLUDED.category_id, version = EXCLUDED.version
WHERE (category_aliases.category_id, category_aliases.version)
      IS DISTINCT FROM (EXCLUDED.category_id, EXCLUDED.version);

-- name: start_run
INSERT INTO ingest_runs (source, sha256, started_at, rounds_in_file, rounds_new, rounds_changed,
                         rounds_unchanged, categories_new, snapshots_changed, timestamps_flagged,
                         forced, changed_data, vintage, older_vintage)
VALUES ($1, $2, $3, $4, 0, 0, 0, 0, 0, 0, $5, false, $6, $7)
RETURNING id;

-- name: finish_run
UPDATE ingest_runs
SET rounds_new = $2, rounds_changed = $3, rounds_unchanged = $4, categories_new = $5,
    snapshots_changed = $6, timestamps_flagged = $7, changed_data = $8, finished_at = now()
WHERE id = $1;

-- name: stored_draws
SELECT number, seq, draw_date, name, category_id, category_version, invitations, crs_min,
       programs, run_at, run_at_raw, tie_break_at, tie_break_at_raw, pool_snapshot_date, flags,
       published, published_since, published_latest
FROM draws;

-- name: store_vintage
SELECT max(published_latest) FROM draws;

-- name: confirm_draws
UPDATE draws SET published_latest = $2 WHERE number = ANY($1::text[]) AND published_latest < $2;

-- name: draw_revision_steps
SELECT draw_number, old_values, new_values, old_vintage, new_vintage, ingest_run_id
FROM draw_revisions
WHERE draw_number = ANY($1::text[])
ORDER BY draw_number, new_vintage, id;

-- name: delete_revisions
DELETE FROM draw_revisions WHERE draw_number = $1;

-- name: set_published_since
UPDATE draws SET published_since = $2 WHERE number = $1;

-- name: newest_draw_names
SELECT DISTINCT ON (category_id) category_id, name FROM draws ORDER BY category_id, seq DESC;

-- name: upsert_draw
INSERT INTO draws (number, seq, draw_date, name, category_id, category_version, invitations,
                   crs_min, programs, run_at, run_at_raw, tie_break_at, tie_break_at_raw,
                   pool_snapshot_date, flags, published, first_run_id, last_change_run_id,
                   published_since, published_latest)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17, $18, $18)
ON CONFLICT (number) DO UPDATE SET
    seq = EXCLUDED.seq, draw_date = EXCLUDED.draw_date, name = EXCLUDED.name,
    category_id = EXCLUDED.category_id, category_version = EXCLUDED.category_version,
    invitations = EXCLUDED.invitations, crs_min = EXCLUDED.crs_min, programs = EXCLUDED.programs,
    run_at = EXCLUDED.run_at, run_at_raw = EXCLUDED.run_at_raw,
    tie_break_at = EXCLUDED.tie_break_at, tie_break_at_raw = EXCLUDED.tie_break_at_raw,
    pool_snapshot_date = EXCLUDED.pool_snapshot_date, flags = EXCLUDED.flags,
    published = EXCLUDED.published, last_change_run_id = EXCLUDED.last_change_run_id,
    published_latest = EXCLUDED.published_latest,
    published_since = CASE WHEN draws.published = EXCLUDED.published THEN draws.published_since
                           ELSE EXCLUDED.published_since END;

-- name: insert_revision
INSERT INTO draw_revisions (draw_number, ingest_run_id, old_values, new_values, old_vintage,
                            new_vintage)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: stored_snapshots
SELECT s.snapshot_date, s.total, s.source_draw, s.flags, s.retracted,
       coalesce(array_agg(b.candidates ORDER BY b.band) FILTER (WHERE b.band IS NOT NULL),
                '{}') AS bands
FROM pool_snapshots s
LEFT JOIN pool_bands b ON b.snapshot_date = s.snapshot_date
GROUP BY s.snapshot_date;

-- name: upsert_snapshot
INSERT INTO pool_snapshots (snapshot_date, total, source_draw, flags, retracted)
VALUES ($1, $2, $3, $4, false)
ON CONFLICT (snapshot_date) DO UPDATE SET
    total = EXCLUDED.total, source_draw = EXCLUDED.source_draw, flags = EXCLUDED.flags,
    retracted = false;

-- name: delete_bands
DELETE FROM pool_bands WHERE snapshot_date = $1;

-- name: insert_band
INSERT INTO pool_bands (snapshot_date, band, crs_lo, crs_hi, candidates, is_subtotal)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: retract_snapshot
UPDATE pool_snapshots SET retracted = true WHERE snapshot_date = $1;

-- name: store_id
SELECT store_id::text FROM data_state;

-- name: bump_data_version
UPDATE data_state SET data_version = data_version + 1, changed_at = now(), last_run_id = $1
RETURNING data_version;

-- The CSV of rounds' stored lines (sql/migrations/0006, api/ingest/csv_lines.py).

-- name: csv_format
SELECT csv_format FROM data_state;

-- name: forget_csv_lines
-- Lines another writer made: every one is written again.
UPDATE draws SET csv_line = NULL WHERE csv_line IS NOT NULL;

-- name: set_csv_format
UPDATE data_state SET csv_format = $1;

-- name: rounds_without_csv_line
-- The cells of the CSV of rounds (the select list made from the column table, as in draws.sql
-- draws_csv) of each round with no stored line, its seq as a last cell.
SELECT {cells},
       seq
FROM draws
WHERE csv_line IS NULL

-- name: store_csv_lines
UPDATE draws d SET csv_line = l.line
FROM unnest($1::int[], $2::text[]) AS l(seq, line)
WHERE d.seq = l.seq;
