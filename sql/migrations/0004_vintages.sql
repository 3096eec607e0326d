-- Ingest order must not matter: a rounds file's vintage is its newest round (IRCC's file is
-- cumulative), and each round remembers which vintages showed its current values, so an older
-- copy ingested after a newer one is recorded as history, never as an edit (api/ingest/vintages.py).
ALTER TABLE ingest_runs ADD COLUMN vintage integer;
ALTER TABLE ingest_runs ADD COLUMN older_vintage boolean NOT NULL DEFAULT false;
ALTER TABLE draws ADD COLUMN published_since integer;
ALTER TABLE draws ADD COLUMN published_latest integer;
ALTER TABLE draw_revisions ADD COLUMN old_vintage integer;
ALTER TABLE draw_revisions ADD COLUMN new_vintage integer;

-- Stores ingested before this migration: a run's vintage is the newest round it had seen.
UPDATE ingest_runs r SET vintage = (SELECT max(d.seq) FROM draws d WHERE d.first_run_id <= r.id);
UPDATE draws d SET
    published_since = coalesce((SELECT r.vintage FROM ingest_runs r WHERE r.id = d.last_change_run_id), d.seq),
    published_latest = coalesce((SELECT max(r.vintage) FROM ingest_runs r WHERE r.id >= d.last_change_run_id), d.seq);
UPDATE draw_revisions v SET
    new_vintage = coalesce((SELECT r.vintage FROM ingest_runs r WHERE r.id = v.ingest_run_id), 0),
    old_vintage = coalesce((SELECT r.vintage FROM ingest_runs r JOIN draws d ON d.first_run_id = r.id
                            WHERE d.number = v.draw_number), 0);
ALTER TABLE draws ALTER COLUMN published_since SET NOT NULL;
ALTER TABLE draws ALTER COLUMN published_latest SET NOT NULL;
ALTER TABLE draw_revisions ALTER COLUMN old_vintage SET NOT NULL;
ALTER TABLE draw_revisions ALTER COLUMN new_vintage SET NOT NULL;
