-- Least-privilege roles for the two stores on PostgreSQL. Run as a superuser, after
-- `flask db upgrade` has created the tables as the owner (the migrator):
--
--   psql -v answers_db=surveys_answers -v identity_db=surveys_identity \
--        -v migrator=surveys_migrator -f deploy/postgres/roles.sql
--
-- surveys_answers_rw   the web app's role for the answers store: reads and writes answers.
--                      It cannot even connect to the identity store.
-- surveys_identity_rw  the web app's role for the identity store; cannot connect to answers.
-- surveys_dashboard_ro the dashboard's role (ANSWERS_READ_DATABASE_URL): reads answers only.
-- Give each a password (ALTER ROLE ... PASSWORD) or certificate auth in pg_hba.conf.

\set ON_ERROR_STOP on

SELECT 'CREATE ROLE surveys_answers_rw LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'surveys_answers_rw') \gexec
SELECT 'CREATE ROLE surveys_identity_rw LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'surveys_identity_rw') \gexec
SELECT 'CREATE ROLE surveys_dashboard_ro LOGIN'
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'surveys_dashboard_ro') \gexec

-- The nightly settle runs as the migrator (it owns the tables it rewrites with VACUUM FULL)
-- and waits for other roles' older transactions to end first: it must see their sessions.
GRANT pg_read_all_stats TO :"migrator";

-- Nobody connects to a store unless granted here.
REVOKE ALL ON DATABASE :"answers_db" FROM PUBLIC;
REVOKE ALL ON DATABASE :"identity_db" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"answers_db" TO surveys_answers_rw, surveys_dashboard_ro;
GRANT CONNECT ON DATABASE :"identity_db" TO surveys_identity_rw;

\connect :"answers_db"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO surveys_answers_rw, surveys_dashboard_ro;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO surveys_answers_rw;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO surveys_answers_rw;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO surveys_dashboard_ro;
-- Tables that later migrations create get the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO surveys_answers_rw;
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO surveys_answers_rw;
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT ON TABLES TO surveys_dashboard_ro;

\connect :"identity_db"
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO surveys_identity_rw;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO surveys_identity_rw;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO surveys_identity_rw;
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO surveys_identity_rw;
ALTER DEFAULT PRIVILEGES FOR ROLE :"migrator" IN SCHEMA public
  GRANT USAGE, SELECT ON SEQUENCES TO surveys_identity_rw;
