-- The offline baselines and the row-lock probe of docs/profile.md (issue #10), on the tables that
-- docs/profile.md seeds: run after the Backfill add-index (it reads prof.orders_email's shape).
--   psql -X -h localhost -p 55433 -U postgres -f scripts/profile-offline.sql
-- Each step prints its wall time (\timing) and the WAL it wrote (pg_stat_wal before/after).
\set ON_ERROR_STOP on
\pset pager off
CREATE TEMP TABLE w (step text, at timestamptz, wal numeric, fpi bigint, sync_ms float8);
CREATE OR REPLACE FUNCTION pg_temp.mark(s text) RETURNS void LANGUAGE sql AS
  $$ INSERT INTO w SELECT s, clock_timestamp(), wal_bytes, wal_fpi, wal_sync_time FROM pg_stat_wal $$;
CHECKPOINT;

-- 1. add-index offline: one INSERT ... SELECT into a copy of the index table (same columns,
--    primary key and unique constraint), then a native CREATE UNIQUE INDEX as a reference.
DROP TABLE IF EXISTS prof.orders_email_offline;
CREATE TABLE prof.orders_email_offline (LIKE prof.orders_email INCLUDING ALL);
\timing on
SELECT pg_temp.mark('insert-select');
INSERT INTO prof.orders_email_offline (email, id) SELECT email, id FROM prof.orders;
SELECT pg_temp.mark('create-unique-index');
CREATE UNIQUE INDEX orders_email_native ON prof.orders_alter (email);
SELECT pg_temp.mark('lock-probe-no-lock');
\timing off
DROP INDEX prof.orders_email_native;

-- 2. The row-lock probe: 1000-row key ranges, one transaction each, one session, read only vs
--    FOR SHARE (what today's batch adds to a read: xmax on every tuple, its WAL and dirty pages).
CREATE OR REPLACE PROCEDURE pg_temp.scan(lock boolean) LANGUAGE plpgsql AS $$
DECLARE lo bigint := 0; hi bigint; n bigint;
BEGIN
  SELECT max(id) INTO hi FROM prof.orders_alter;
  WHILE lo < hi LOOP
    IF lock THEN
      PERFORM count(*) FROM (SELECT 1 FROM prof.orders_alter WHERE id > lo AND id <= lo + 1000 FOR SHARE) s;
    ELSE
      PERFORM count(*) FROM (SELECT 1 FROM prof.orders_alter WHERE id > lo AND id <= lo + 1000) s;
    END IF;
    lo := lo + 1000;
    COMMIT;
  END LOOP;
END $$;
\timing on
CALL pg_temp.scan(false);
SELECT pg_temp.mark('lock-probe-for-share');
CALL pg_temp.scan(true);
SELECT pg_temp.mark('alter-type');

-- 3. modify-column offline: ALTER ... TYPE on a copy (rewrites the table and its index).
ALTER TABLE prof.orders_alter ALTER COLUMN amount TYPE bigint USING amount::bigint;
SELECT pg_temp.mark('pgroll-loop');
\timing off

-- 4. The pgroll-style loop of the issue: a new column, then 1000-row batches in key order, each
--    FOR NO KEY UPDATE + UPDATE + COMMIT, one session, server-side.
ALTER TABLE prof.orders_loop ADD COLUMN new_amount bigint;
CREATE OR REPLACE PROCEDURE pg_temp.pgroll() LANGUAGE plpgsql AS $$
DECLARE lo bigint := 0; last bigint;
BEGIN
  LOOP
    WITH b AS (SELECT id FROM prof.orders_loop WHERE id > lo ORDER BY id LIMIT 1000 FOR NO KEY UPDATE),
         u AS (UPDATE prof.orders_loop t SET new_amount = t.amount::bigint FROM b WHERE t.id = b.id RETURNING t.id)
    SELECT max(id) INTO last FROM u;
    EXIT WHEN last IS NULL;
    lo := last;
    COMMIT;
  END LOOP;
END $$;
\timing on
CALL pg_temp.pgroll();
SELECT pg_temp.mark('end');
\timing off

SELECT step, round(extract(epoch FROM lead(at) OVER (ORDER BY at) - at)::numeric, 2) AS seconds,
       round((lead(wal) OVER (ORDER BY at) - wal) / 1048576, 1) AS wal_mb,
       lead(fpi) OVER (ORDER BY at) - fpi AS fpi,
       round((lead(sync_ms) OVER (ORDER BY at) - sync_ms)::numeric / 1000, 2) AS wal_sync_s
  FROM w ORDER BY at;
