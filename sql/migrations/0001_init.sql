-- The store: rounds of invitations, their categories, pool snapshots, and the ingest history.
-- Ingest is the only writer. The API reads through the views at the end of this file.

CREATE TABLE categories (
    id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    -- Display name of the category line: the newest published base name.
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('general', 'program', 'category')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Every name IRCC has published for a round type, each pointing at its line and version.
CREATE TABLE category_aliases (
    alias        text PRIMARY KEY,
    category_id  integer NOT NULL REFERENCES categories (id),
    version      integer,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ingest_runs (
    id                  integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source              text NOT NULL,
    sha256              text NOT NULL,
    started_at          timestamptz NOT NULL,
    finished_at         timestamptz NOT NULL DEFAULT now(),
    rounds_in_file      integer NOT NULL,
    rounds_new          integer NOT NULL,
    rounds_changed      integer NOT NULL,
    rounds_unchanged    integer NOT NULL,
    categories_new      integer NOT NULL,
    snapshots_changed   integer NOT NULL,
    timestamps_flagged  integer NOT NULL,
    forced              boolean NOT NULL DEFAULT false,
    changed_data        boolean NOT NULL
);

CREATE TABLE pool_snapshots (
    snapshot_date  date PRIMARY KEY,
    total          integer NOT NULL,
    -- The round whose published distribution this is (newest round wins when several share a date).
    source_draw    text NOT NULL,
    flags          text[] NOT NULL DEFAULT '{}',
    -- IRCC withdrew it: no round in the newest file publishes this date any more. Kept, not served.
    retracted      boolean NOT NULL DEFAULT false
);

CREATE TABLE pool_bands (
    snapshot_date  date NOT NULL REFERENCES pool_snapshots (snapshot_date),
    band           smallint NOT NULL CHECK (band BETWEEN 1 AND 17),
    crs_lo         smallint NOT NULL,
    crs_hi         smallint NOT NULL,
    candidates     integer NOT NULL,
    -- dd3 and dd9 are sums of the bands below them, not bands of their own.
    is_subtotal    boolean NOT NULL,
    PRIMARY KEY (snapshot_date, band)
);

CREATE TABLE draws (
    number            text PRIMARY KEY,
    -- Sort key for numbers like '91a'/'91b': 91 * 100 + letter index.
    seq               integer NOT NULL UNIQUE,
    draw_date         date NOT NULL,
    name              text NOT NULL,
    category_id       integer NOT NULL REFERENCES categories (id),
    category_version  integer,
    invitations       integer NOT NULL,
    crs_min           integer NOT NULL,
    programs          text NOT NULL,
    run_at            timestamptz,
    run_at_raw        text NOT NULL,
    tie_break_at      timestamptz,
    tie_break_at_raw  text NOT NULL,
    pool_snapshot_date date,
    flags             text[] NOT NULL DEFAULT '{}',
    -- The round exactly as published, to detect and record IRCC's edits.
    published         jsonb NOT NULL,
    first_run_id      integer NOT NULL REFERENCES ingest_runs (id),
    last_change_run_id integer NOT NULL REFERENCES ingest_runs (id)
);

CREATE INDEX draws_date_idx ON draws (draw_date DESC, seq DESC);
CREATE INDEX draws_crs_idx ON draws (crs_min, seq);
CREATE INDEX draws_invitations_idx ON draws (invitations, seq);
CREATE INDEX draws_category_idx ON draws (category_id, draw_date DESC, seq DESC);
CREATE INDEX draws_snapshot_idx ON draws (pool_snapshot_date);

-- When IRCC edits a past round: which published keys changed, old and new values.
CREATE TABLE draw_revisions (
    id             integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    draw_number    text NOT NULL REFERENCES draws (number),
    ingest_run_id  integer NOT NULL REFERENCES ingest_runs (id),
    old_values     jsonb NOT NULL,
    new_values     jsonb NOT NULL
);

CREATE INDEX draw_revisions_draw_idx ON draw_revisions (draw_number, id);

-- One row: bumped in the same transaction as any ingest that changes data.
CREATE TABLE data_state (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    data_version   bigint NOT NULL,
    changed_at     timestamptz NOT NULL,
    last_run_id    integer REFERENCES ingest_runs (id)
);

INSERT INTO data_state (data_version, changed_at) VALUES (0, now());

-- The public contract: what the API reads.
CREATE VIEW draws_v AS
SELECT d.number, d.seq, d.draw_date, c.slug AS category_slug, c.name AS category_name,
       d.category_version, d.name, d.invitations, d.crs_min, d.programs,
       d.run_at, d.tie_break_at, d.pool_snapshot_date, d.flags, d.category_id
FROM draws d
JOIN categories c ON c.id = d.category_id;
