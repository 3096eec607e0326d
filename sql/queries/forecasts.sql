-- Next-round estimates and their backtest: written by ingest (api/ingest/forecasts.py), read by
-- api/reads.py.

-- name: forecast_method
SELECT forecast_method FROM data_state;

-- name: set_forecast_method
UPDATE data_state SET forecast_method = $1;

-- name: forecast_rounds
-- Every round with its line, in the order forecasts read them (date, then round number).
SELECT d.category_id, c.slug, c.name, c.kind, d.number, d.draw_date, d.category_version,
       d.crs_min, d.invitations
FROM draws d
JOIN categories c ON c.id = d.category_id
ORDER BY d.draw_date, d.seq;

-- name: forget_forecasts
DELETE FROM forecast_backtest;
DELETE FROM forecasts;

-- name: insert_forecast
INSERT INTO forecasts (category_id, answer) VALUES ($1, $2::text::jsonb);

-- name: insert_backtest_rows
INSERT INTO forecast_backtest (category_id, position, category, target, horizon, origin,
                               origin_date, round, date, model, predicted, lower_80, upper_80,
                               lower_95, upper_95, actual, naive, window_mean)
SELECT * FROM unnest($1::int[], $2::int[], $3::text[], $4::text[], $5::smallint[], $6::text[],
                     $7::date[], $8::text[], $9::date[], $10::text[], $11::float8[],
                     $12::float8[], $13::float8[], $14::float8[], $15::float8[], $16::int[],
                     $17::float8[], $18::float8[]);

-- name: next_rounds
-- The lines' answers (all, or those of $1), most recently drawn first, as one JSON array;
-- and the method that made them (NULL: none made yet).
SELECT (SELECT forecast_method FROM data_state) AS method,
       coalesce(json_agg(f.answer ORDER BY f.answer #>> '{last_round,date}' DESC, c.slug),
                '[]'::json)::text AS answers
FROM forecasts f
JOIN categories c ON c.id = f.category_id
WHERE $1::text[] IS NULL OR c.slug = ANY($1::text[]);

-- name: backtest_rows
SELECT b.*
FROM forecast_backtest b
JOIN forecasts f ON f.category_id = b.category_id
WHERE $1::text[] IS NULL OR b.category = ANY($1::text[])
ORDER BY f.answer #>> '{last_round,date}' DESC, b.category, b.position;
