-- Each round's line of the CSV of rounds, stored by ingest (api/ingest/csv_lines.py) so that the
-- whole file is read as stored text instead of written by a COPY per request (COPY of the 412
-- rounds: ~0.75 ms of PostgreSQL CPU; joining their stored lines: ~0.1 ms; docs/exports.md).
-- A line is written by the same COPY that serves the file, so it is the same bytes; csv_format
-- names the writer (a hash of its select list) that made the stored lines: a server whose writer
-- differs ignores them and writes the file by COPY until an ingest writes them again.
ALTER TABLE draws ADD COLUMN csv_line text;
ALTER TABLE data_state ADD COLUMN csv_format text;

-- A round that changes in any other way loses its line: ingest writes it again in the same
-- transaction, and a reader finding a missing line writes the file by COPY.
CREATE FUNCTION draws_forget_csv_line() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.csv_line IS NOT DISTINCT FROM OLD.csv_line
       AND (to_jsonb(NEW) - 'csv_line') IS DISTINCT FROM (to_jsonb(OLD) - 'csv_line') THEN
        NEW.csv_line := NULL;
    END IF;
    RETURN NEW;
END
$$;

-- Named to fire after draws_take_category (BEFORE triggers fire in name order), so a round
-- moved to another category is compared with the slug and name it takes.
CREATE TRIGGER draws_zz_forget_csv_line
BEFORE UPDATE ON draws
FOR EACH ROW EXECUTE FUNCTION draws_forget_csv_line();
