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

-- name: data_stamp
SELECT s.data_version, s.changed_at,
       (SELECT max(draw_date) FROM draws) AS newest_draw_date,
       (SELECT source FROM ingest_runs ORDER BY id DESC LIMIT 1) AS source
FROM data_state s;

-- name: draws_csv
-- The rows of list_draws (its query as the page, every row) as the cells of the CSV of rounds,
-- for COPY (...) TO STDOUT (FORMAT csv) to write (api/reads.py draws_csv); the cells are the
-- select list made from the column table (api/exports.py csv_select_sql).
SELECT {cells}
FROM ({page}) page
ORDER BY sort_key {dir}, seq {dir}

-- name: draws_csv_stored
-- draws_csv from the lines ingest stored (sql/migrations/0006), when every row of the page has
-- one and they were made by this server's writer (exports.csv_format); else lines is NULL and the caller
-- writes the file by COPY.
SELECT CASE WHEN count(*) = count(d.csv_line) AND (SELECT csv_format FROM data_state) = {format}
            THEN coalesce(string_agg(d.csv_line, '' ORDER BY page.sort_key {dir}, page.seq {dir}), '')
       END AS lines
FROM ({page}) page
JOIN draws d ON d.seq = page.seq;

-- name: draws_csv_page
-- draws_csv for a page (list_draws' limit is the page size + 1): each row's cursor key, its
-- sort key and seq, as a last cell that api/exports.py copy_lines_with_keys cuts off.
SELECT {cells},
       sort_key::text || ' ' || seq AS cursor_key
FROM ({page}) page
ORDER BY sort_key {dir}, seq {dir}
