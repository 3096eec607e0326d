-- The serving role reads and nothing else (docs/operations.md, deploy/README.md).
-- eedraws_read is a NOLOGIN group: the login role that serves (embedded: eedraws_serve; managed:
-- whatever the operator creates `IN ROLE eedraws_read`) inherits exactly these grants.
-- An owner without CREATEROLE (some managed services) gets a notice instead of a failure: the
-- operator creates the group first, or runs the grants below by hand (deploy/README.md).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eedraws_read') THEN
        CREATE ROLE eedraws_read NOLOGIN;
    END IF;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'cannot create role eedraws_read; see deploy/README.md';
    WHEN duplicate_object THEN
        NULL;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'eedraws_read') THEN
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO eedraws_read', current_database());
        GRANT USAGE ON SCHEMA public TO eedraws_read;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO eedraws_read;
        -- Tables and views later migrations create (as this owner) are readable too.
        ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO eedraws_read;
    END IF;
END
$$;

-- PostgreSQL before 15 let every role create tables in public.
DO $$
BEGIN
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
EXCEPTION
    WHEN insufficient_privilege THEN
        RAISE NOTICE 'cannot revoke CREATE on schema public; see deploy/README.md';
END
$$;
