-- Every read of a round wants its category's slug and name. Reading them through a join made
-- PostgreSQL plan a two-table query on each request (plans are made per execution: see
-- plan_cache_mode in api/db.py): 65-100 µs of server CPU for the latest round, against 20-27 µs
-- for the same statement on one table (docs/benchmarks.md, "One table to read"). So a round
-- carries its category's slug and name, kept equal to `categories` by the triggers below
-- whichever statement writes: ingest stays the only writer and needs no second rule.
ALTER TABLE draws ADD COLUMN category_slug text;
ALTER TABLE draws ADD COLUMN category_name text;

UPDATE draws d SET category_slug = c.slug, category_name = c.name
FROM categories c WHERE c.id = d.category_id;

ALTER TABLE draws ALTER COLUMN category_slug SET NOT NULL;
ALTER TABLE draws ALTER COLUMN category_name SET NOT NULL;

CREATE FUNCTION draws_take_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT c.slug, c.name INTO STRICT NEW.category_slug, NEW.category_name
    FROM categories c WHERE c.id = NEW.category_id;
    RETURN NEW;
END
$$;

CREATE TRIGGER draws_take_category
BEFORE INSERT OR UPDATE OF category_id, category_slug, category_name ON draws
FOR EACH ROW EXECUTE FUNCTION draws_take_category();

CREATE FUNCTION categories_give_draws() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE draws SET category_slug = NEW.slug, category_name = NEW.name
    WHERE category_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER categories_give_draws
AFTER UPDATE OF slug, name ON categories
FOR EACH ROW WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.name IS DISTINCT FROM NEW.name)
EXECUTE FUNCTION categories_give_draws();

-- What draws_category_idx did for the join: a category's rounds, newest first.
CREATE INDEX draws_category_slug_idx ON draws (category_slug, draw_date DESC, seq DESC);

-- Same columns, same order: only where slug and name come from changes.
CREATE OR REPLACE VIEW draws_v AS
SELECT d.number, d.seq, d.draw_date, d.category_slug, d.category_name,
       d.category_version, d.name, d.invitations, d.crs_min, d.programs,
       d.run_at, d.tie_break_at, d.pool_snapshot_date, d.flags, d.category_id
FROM draws d;
