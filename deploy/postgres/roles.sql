-- Roles for eedraws, run once by an administrator (compose runs it as the image's superuser).
-- Owner: owns the schema, runs migrations and ingest. Serving: reads, nothing else.
-- Change the passwords; on a managed PostgreSQL run this as its admin user.
CREATE ROLE eedraws LOGIN PASSWORD 'eedraws-owner' NOSUPERUSER NOCREATEDB NOCREATEROLE;
CREATE ROLE eedraws_read NOLOGIN;
CREATE ROLE eedraws_serve LOGIN PASSWORD 'eedraws-serve' NOSUPERUSER NOCREATEDB NOCREATEROLE
    IN ROLE eedraws_read;
CREATE DATABASE eedraws OWNER eedraws;
\connect eedraws
-- The owner creates the tables in public (PostgreSQL 15+ no longer lets every role do so).
ALTER SCHEMA public OWNER TO eedraws;
