-- Trends: series over time, a round in its context, pool history, and "where do I stand".
-- Rounds are ordered by (draw_date, seq) everywhere here: on one date, by round number (91a
-- before 91b). Every figure is computed here; api/reads.py only shapes the rows.

-- name: draw_contexts
-- $1 round numbers. Per round found: its number and one JSON object, decoded straight into
-- api.models.DrawContext. "So far" is the calendar year's rounds up to and including it.
SELECT me.number, json_build_object(
    'number', me.number,
    'date', me.draw_date,
    'category', me.slug,
    'category_ref', json_build_object(
        'slug', me.slug, 'name', me.category_name, 'version', me.category_version),
    'year', me.year,
    'year_rank', ytd.draws,
    'category_year_rank', cytd.draws,
    'year_to_date', to_json(ytd),
    'category_year_to_date', to_json(cytd),
    'previous_in_category', CASE WHEN p.number IS NULL THEN NULL ELSE json_build_object(
        'number', p.number, 'date', p.draw_date, 'crs_min', p.crs_min,
        'invitations', p.invitations, 'crs_change', me.crs_min - p.crs_min,
        'days_between', me.draw_date - p.draw_date) END,
    'pool_snapshot', snap.snapshot
)::text AS context
FROM (
    SELECT d.number, d.seq, d.draw_date, d.category_id, d.crs_min, d.pool_snapshot_date,
           c.slug, c.name AS category_name, d.category_version,
           extract(year FROM d.draw_date)::int AS year
    FROM draws d JOIN categories c ON c.id = d.category_id
    WHERE d.number = ANY($1::text[])
) me
CROSS JOIN LATERAL (
    SELECT count(*) AS draws, min(y.crs_min) AS crs_min, max(y.crs_min) AS crs_max,
           min(y.invitations) AS invitations_min, max(y.invitations) AS invitations_max,
           sum(y.invitations) AS invitations_total
    FROM draws y
    WHERE y.draw_date >= make_date(me.year, 1, 1)
      AND (y.draw_date, y.seq) <= (me.draw_date, me.seq)
) ytd
CROSS JOIN LATERAL (
    SELECT count(*) AS draws, min(y.crs_min) AS crs_min, max(y.crs_min) AS crs_max,
           min(y.invitations) AS invitations_min, max(y.invitations) AS invitations_max,
           sum(y.invitations) AS invitations_total
    FROM draws y
    WHERE y.category_id = me.category_id
      AND y.draw_date >= make_date(me.year, 1, 1)
      AND (y.draw_date, y.seq) <= (me.draw_date, me.seq)
) cytd
LEFT JOIN LATERAL (
    SELECT d.number, d.draw_date, d.crs_min, d.invitations
    FROM draws d
    WHERE d.category_id = me.category_id AND (d.draw_date, d.seq) < (me.draw_date, me.seq)
    ORDER BY d.draw_date DESC, d.seq DESC
    LIMIT 1
) p ON true
LEFT JOIN LATERAL (
    SELECT json_build_object(
        'date', s.snapshot_date, 'total', s.total, 'source_draw', s.source_draw,
        'flags', s.flags,
        'bands', (SELECT json_agg(json_build_object(
                          'band', b.band, 'crs_lo', b.crs_lo, 'crs_hi', b.crs_hi,
                          'candidates', b.candidates, 'is_subtotal', b.is_subtotal)
                          ORDER BY b.band)
                    FROM pool_bands b WHERE b.snapshot_date = s.snapshot_date)) AS snapshot
    FROM pool_snapshots s
    WHERE s.snapshot_date = me.pool_snapshot_date AND NOT s.retracted
) snap ON true;

-- name: series
-- <where>: the draw filter (api/filters.py), whose arguments come first; <categories>, <date_from>
-- and <date_to> are its arguments of those names (no category: all rounds as one series).
-- <measure> ('crs' | 'invitations'), <frequency> ('draw' | 'month' | 'quarter' | 'year'),
-- <agg> ('min' | 'max' | 'mean' | 'last' | 'sum' | 'count'),
-- <transform> (NULL | 'change' | 'pct_change' | 'yoy' | 'rolling_mean'), <window> (periods).
-- Each such name is a placeholder below: an argument number filled in by api/reads.py, not input.
-- change: value minus the previous period's; pct_change: that in percent of the previous;
-- yoy: percent change from the same period a year earlier (NULL per draw: a round has no
-- same period a year earlier); rolling_mean: mean of the values
-- present in the last <window> periods (this one included), NULL when none is. A NULL neighbour
-- makes change, pct_change and yoy NULL.
-- Periods are contiguous (generate_series) from the period of `from` (or of the first picked
-- round) to the period of `to` (or of the last one), shared by every series, never beyond the
-- first and last rounds held; a period with no round has value NULL. With frequency 'draw' a series' periods are its own draw dates.
WITH picked AS (
    SELECT draw_date, seq,
           CASE WHEN {measure}::text = 'crs' THEN crs_min ELSE invitations END AS x,
           CASE WHEN {categories}::text[] IS NULL THEN NULL ELSE category_slug END AS category
    FROM draws_v
    WHERE {where}
),
unit AS (
    -- 'day' for draws keeps date_trunc valid; draw periods come from the rounds themselves.
    SELECT CASE WHEN {frequency}::text = 'draw' THEN 'day' ELSE {frequency}::text END AS field,
           CASE {frequency}::text WHEN 'month' THEN interval '1 month'
                         WHEN 'quarter' THEN interval '3 months'
                         ELSE interval '1 year' END AS step,
           CASE {frequency}::text WHEN 'month' THEN 12 WHEN 'quarter' THEN 4 ELSE 1 END AS per_year
),
held AS (
    SELECT min(draw_date) AS first, max(draw_date) AS last FROM draws_v
),
bounds AS (
    -- Within the rounds held: periods before the first or after the last could only be NULL,
    -- and `from=0001-01-01` with months would be 120,000 of them (a 5 s statement, a 503).
    SELECT CASE WHEN h.first IS NOT NULL
                THEN greatest(coalesce({date_from}::date, (SELECT min(draw_date) FROM picked)),
                              h.first) END AS lo,
           CASE WHEN h.last IS NOT NULL
                THEN least(coalesce({date_to}::date, (SELECT max(draw_date) FROM picked)),
                           h.last) END AS hi
    FROM held h
),
series_keys AS (
    SELECT DISTINCT k AS category FROM unnest(coalesce({categories}::text[], ARRAY[NULL::text])) k
),
periods AS (
    SELECT k.category, g::date AS period_start
    FROM series_keys k, bounds b, unit u,
         generate_series(date_trunc(u.field, b.lo::timestamp),
                         date_trunc(u.field, b.hi::timestamp), u.step) g
    WHERE {frequency}::text <> 'draw' AND b.lo IS NOT NULL AND b.hi IS NOT NULL
    UNION ALL
    SELECT DISTINCT p.category, p.draw_date
    FROM picked p
    WHERE {frequency}::text = 'draw'
),
per_period AS (
    SELECT p.category, date_trunc(u.field, p.draw_date::timestamp)::date AS period_start,
           count(*) AS draws,
           CASE {agg}::text
               WHEN 'min' THEN min(p.x)::float8
               WHEN 'max' THEN max(p.x)::float8
               WHEN 'mean' THEN avg(p.x)::float8
               WHEN 'last' THEN ((array_agg(p.x ORDER BY p.draw_date DESC, p.seq DESC))[1])::float8
               WHEN 'sum' THEN sum(p.x)::float8
               WHEN 'count' THEN count(*)::float8
           END AS value
    FROM picked p, unit u
    GROUP BY 1, 2
),
observed AS (
    SELECT s.category, s.period_start, a.value, coalesce(a.draws, 0) AS draws
    FROM periods s
    LEFT JOIN per_period a
           ON a.category IS NOT DISTINCT FROM s.category AND a.period_start = s.period_start
),
transformed AS (
    SELECT o.category, o.period_start, o.draws,
           CASE {transform}::text
               WHEN 'change' THEN o.value - lag(o.value) OVER w
               WHEN 'pct_change' THEN
                   100 * (o.value - lag(o.value) OVER w) / nullif(lag(o.value) OVER w, 0)
               WHEN 'yoy' THEN CASE WHEN {frequency}::text <> 'draw' THEN
                   100 * (o.value - lag(o.value, u.per_year) OVER w)
                   / nullif(lag(o.value, u.per_year) OVER w, 0) END
               WHEN 'rolling_mean' THEN
                   avg(o.value) OVER (w ROWS BETWEEN ({window}::int - 1) PRECEDING AND CURRENT ROW)
               ELSE o.value
           END AS value
    FROM observed o, unit u
    WINDOW w AS (PARTITION BY o.category ORDER BY o.period_start)
)
SELECT t.category,
       CASE {frequency}::text
           WHEN 'draw' THEN to_char(t.period_start, 'YYYY-MM-DD')
           WHEN 'month' THEN to_char(t.period_start, 'YYYY-MM')
           WHEN 'quarter' THEN to_char(t.period_start, 'YYYY-"Q"Q')
           ELSE to_char(t.period_start, 'YYYY')
       END AS period,
       round(t.value::numeric, 2)::float8 AS value,
       t.draws
FROM transformed t
ORDER BY t.category COLLATE "C" NULLS FIRST, t.period_start;

-- name: pool_band_history
-- $1 band number (1..17). Every served snapshot, oldest first.
SELECT s.snapshot_date, s.total, b.band, b.crs_lo, b.crs_hi, b.candidates, b.is_subtotal
FROM pool_snapshots s
JOIN pool_bands b ON b.snapshot_date = s.snapshot_date
WHERE NOT s.retracted AND b.band = $1::int
ORDER BY s.snapshot_date;

-- name: pool_changes
-- Per band, the change between each served snapshot and the served snapshot before it.
WITH bands AS (
    SELECT b.snapshot_date, b.band, b.crs_lo, b.crs_hi, b.is_subtotal, b.candidates, s.total,
           lag(b.snapshot_date) OVER w AS previous_date,
           lag(b.candidates) OVER w AS previous_candidates
    FROM pool_bands b
    JOIN pool_snapshots s ON s.snapshot_date = b.snapshot_date
    WHERE NOT s.retracted
    WINDOW w AS (PARTITION BY b.band ORDER BY b.snapshot_date)
)
SELECT snapshot_date, previous_date, band, crs_lo, crs_hi, is_subtotal, candidates,
       previous_candidates, candidates - previous_candidates AS change
FROM bands
WHERE previous_date IS NOT NULL
ORDER BY snapshot_date DESC, band;

-- name: standing_pool
-- $1 CRS score. From the newest served snapshot's leaf bands (not the subtotals dd3, dd9):
-- candidates at or above the score; a band the score splits counts the share of its scores
-- at or above it (candidates assumed spread evenly over the band's scores).
WITH latest AS (
    SELECT snapshot_date, total FROM pool_snapshots WHERE NOT retracted
    ORDER BY snapshot_date DESC LIMIT 1
),
leaf AS (
    SELECT b.crs_lo, b.crs_hi, b.candidates
    FROM pool_bands b JOIN latest l ON l.snapshot_date = b.snapshot_date
    WHERE NOT b.is_subtotal
),
above AS (
    SELECT round(coalesce(sum(CASE
               WHEN f.crs_lo >= $1::int THEN f.candidates::numeric
               WHEN f.crs_hi >= $1::int
                   THEN f.candidates::numeric * (f.crs_hi - $1::int + 1) / (f.crs_hi - f.crs_lo + 1)
               ELSE 0 END), 0))::bigint AS candidates
    FROM leaf f
),
split AS (
    SELECT f.crs_lo, f.crs_hi, f.candidates FROM leaf f
    WHERE f.crs_lo < $1::int AND f.crs_hi >= $1::int
)
SELECT l.snapshot_date, l.total, a.candidates AS candidates_at_or_above,
       coalesce(round(a.candidates::numeric / nullif(l.total, 0), 4), 0)::float8 AS share,
       s.crs_lo AS split_lo, s.crs_hi AS split_hi, s.candidates AS split_candidates
FROM latest l CROSS JOIN above a LEFT JOIN split s ON true;

-- name: standing_draws
-- <where>: the draw filter (api/filters.py; its arguments first): which rounds count.
-- <crs> the score, <last> how many of each line's newest rounds (argument numbers, not input).
WITH ranked AS (
    SELECT category_slug AS slug, category_name AS name, number, draw_date, crs_min,
           row_number() OVER (PARTITION BY category_id ORDER BY draw_date DESC, seq DESC)
               AS recency
    FROM draws_v
    WHERE {where}
)
SELECT slug, name,
       count(*) FILTER (WHERE recency <= {last}::int) AS rounds,
       count(*) FILTER (WHERE recency <= {last}::int AND crs_min <= {crs}::int) AS met,
       (array_agg(number ORDER BY recency))[1] AS last_number,
       (array_agg(draw_date ORDER BY recency))[1] AS last_date,
       (array_agg(crs_min ORDER BY recency))[1] AS last_crs_min,
       (array_agg(number ORDER BY recency) FILTER (WHERE crs_min <= {crs}::int))[1] AS met_number,
       (array_agg(draw_date ORDER BY recency) FILTER (WHERE crs_min <= {crs}::int))[1] AS met_date,
       (array_agg(crs_min ORDER BY recency) FILTER (WHERE crs_min <= {crs}::int))[1] AS met_crs_min
FROM ranked
GROUP BY slug, name
ORDER BY max(draw_date) DESC, slug;
