-- Next-round estimates and their backtest (api/forecasts.py, docs/forecasts.md), computed by
-- ingest, the only writer, in its transaction, whenever the rounds change or the method does;
-- requests only read them. data_state.forecast_method names the method that made them (NULL:
-- none made yet, the API says so).
CREATE TABLE forecasts (
    category_id  integer PRIMARY KEY REFERENCES categories (id),
    -- The line's answer as /v1/forecasts/next serves it (models.NextRound).
    answer       jsonb NOT NULL
);

-- Every past prediction of the backtest: one row per line, figure, horizon and origin
-- (models.BacktestRow, the same names).
CREATE TABLE forecast_backtest (
    category_id  integer NOT NULL REFERENCES categories (id),
    position     integer NOT NULL,
    category     text NOT NULL,
    target       text NOT NULL CHECK (target IN ('crs_min', 'invitations')),
    horizon      smallint NOT NULL,
    origin       text NOT NULL,
    origin_date  date NOT NULL,
    round        text NOT NULL,
    date         date NOT NULL,
    model        text NOT NULL,
    predicted    double precision NOT NULL,
    lower_80     double precision,
    upper_80     double precision,
    lower_95     double precision,
    upper_95     double precision,
    actual       integer NOT NULL,
    naive        double precision NOT NULL,
    window_mean  double precision NOT NULL,
    PRIMARY KEY (category_id, position)
);

ALTER TABLE data_state ADD COLUMN forecast_method text;
