-- Aggregates for trend charts.

-- name: yearly_stats
SELECT extract(year FROM draw_date)::int AS year, count(*) AS draws,
       sum(invitations)::bigint AS invitations, min(crs_min) AS crs_min, max(crs_min) AS crs_max,
       round(avg(crs_min), 2)::float8 AS crs_mean
FROM draws
GROUP BY 1
ORDER BY 1;

-- name: yearly_stats_by_category
SELECT extract(year FROM draw_date)::int AS year, category_slug, category_name,
       count(*) AS draws, sum(invitations)::bigint AS invitations,
       min(crs_min) AS crs_min, max(crs_min) AS crs_max, round(avg(crs_min), 2)::float8 AS crs_mean
FROM draws
GROUP BY 1, category_slug, category_name
ORDER BY 1, category_slug;

-- name: status
SELECT s.data_version, s.changed_at,
       (SELECT count(*) FROM draws) AS draws,
       (SELECT count(*) FROM categories) AS categories,
       (SELECT count(*) FROM pool_snapshots WHERE NOT retracted) AS pool_snapshots,
       n.number AS newest_draw, n.draw_date AS newest_draw_date,
       r.finished_at, r.source, r.sha256, r.rounds_in_file, r.rounds_new, r.rounds_changed,
       r.changed_data
FROM data_state s
LEFT JOIN LATERAL (SELECT number, draw_date FROM draws ORDER BY draw_date DESC, seq DESC LIMIT 1) n
       ON true
LEFT JOIN LATERAL (SELECT * FROM ingest_runs ORDER BY id DESC LIMIT 1) r ON true;

-- name: data_version
SELECT data_version FROM data_state;

-- name: data_version_and_time
SELECT data_version, changed_at, store_id::text AS store_id FROM data_state;
