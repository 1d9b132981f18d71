-- pfhelpers-sync.sql - the trigger function that tells pfhelpers-sync a
-- table changed (pfhelpers-sync(8)).
--
-- Load it once into the database the feeds read:
--   psql -d DBNAME -f pfhelpers-sync.sql
-- then attach it to every table a feed's query reads, naming the feed's
-- NAME_notify_channel (default pfhelpers_sync) as the argument, e.g. for
-- a table mail_users:
--   CREATE TRIGGER mail_users_pfhelpers_sync
--     AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON mail_users
--     FOR EACH STATEMENT EXECUTE FUNCTION pfhelpers_sync_notify('pfhelpers_sync');
--
-- One notification per statement (not per row): the agent re-reads the
-- whole table anyway, and PostgreSQL folds identical notifications of one
-- transaction into one. The notification is sent at COMMIT, so a rolled
-- back change sends none. TRUNCATE fires statement triggers only, which is
-- why this is a statement trigger.

CREATE OR REPLACE FUNCTION pfhelpers_sync_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify(coalesce(TG_ARGV[0], 'pfhelpers_sync'), TG_TABLE_NAME);
  RETURN NULL;
END
$$;
