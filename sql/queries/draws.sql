-- Reads of rounds. {key} {op} {dir} {cast} in list_draws are filled from a fixed table of
-- sort orders in api/reads.py, and {where} from the table of filters in api/filters.py (one
-- `($n IS NULL OR column op $n)` per filter), never from user input, so each order gets an
-- index-friendly keyset query and a filter is declared in one place. A round's columns are
-- the view draws_v's (sql/migrations): every read of rounds selects * from it, so the select list
-- is written once.

-- name: list_draws
SELECT *, {key} AS sort_key
FROM draws_v
WHERE {where}
  AND ({after_key}::text IS NULL OR ({key}, seq) {op} ({after_key}::{cast}, {after_seq}::int))
ORDER BY {key} {dir}, seq {dir}
LIMIT {limit};

-- name: count_draws_filtered
SELECT count(*)
FROM draws_v
WHERE {where};

-- name: draw_by_number
SELECT *
FROM draws_v
WHERE number = $1;

-- name: latest_draw
SELECT *
FROM draws_v
WHERE ($1::text[] IS NULL OR category_slug = ANY($1::text[]))
ORDER BY draw_date DESC, seq DESC
LIMIT 1;

-- name: draws_by_snapshot_dates
SELECT *
FROM draws_v
WHERE pool_snapshot_date = ANY($1::date[])
ORDER BY draw_date DESC, seq DESC;

-- name: draw_revisions
SELECT r.draw_number, i.finished_at AS ingested_at, r.old_values, r.new_values
FROM draw_revisions r
JOIN ingest_runs i ON i.id = r.ingest_run_id
WHERE r.draw_number = $1
ORDER BY r.new_vintage, r.id;

-- name: known_category_slugs
SELECT slug FROM categories WHERE slug = ANY($1::text[]);

-- name: data_stamp
SELECT s.data_version, s.changed_at,
       (SELECT max(draw_date) FROM draws) AS newest_draw_date,
       (SELECT source FROM ingest_runs ORDER BY id DESC LIMIT 1) AS source
FROM data_state s;

-- name: draws_csv
-- The rows of list_draws (its query as the page, with limit = size + 1) as CSV lines written
-- here, each line made from the column table (api/exports.py csv_line_sql). The last row of the
-- page gives the next cursor when a row follows it; a NULL size: every row.
SELECT coalesce(string_agg({line}, '' ORDER BY n) FILTER (WHERE {size}::int IS NULL OR n <= {size}), '') AS lines,
       count(*) > {size} AS more,
       max(sort_key) FILTER (WHERE n = {size}) AS last_key,
       max(seq) FILTER (WHERE n = {size}) AS last_seq
FROM (SELECT *, row_number() OVER (ORDER BY sort_key {dir}, seq {dir}) AS n
      FROM ({page}) page) numbered;
