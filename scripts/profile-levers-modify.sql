-- Server-side emulation of the modify-column batch of today vs pushdown (docs/profile.md, issue
-- #10): one session, 500,000 rows copied from prof.orders into a fresh table with a NULL shadow
-- column per variant, 1000-key ranges, one transaction each, a CHECKPOINT before each variant.
-- Seconds in the UPDATE only (the page read building today's arrays is timed apart) and WAL.
--   psql -X -h localhost -p 55433 -U postgres -f scripts/profile-levers-modify.sql
\set ON_ERROR_STOP on
\pset pager off
CREATE TEMP TABLE r (variant text, stmt_s float8, read_s float8, wal_mb numeric);
CREATE OR REPLACE PROCEDURE pg_temp.run(variant text) LANGUAGE plpgsql AS $$
DECLARE lo bigint := 0; ka text[]; va text[]; t0 timestamptz; st float8 := 0; rd float8 := 0; w0 pg_lsn;
BEGIN
  DROP TABLE IF EXISTS prof.mc;
  CREATE TABLE prof.mc (LIKE prof.orders INCLUDING ALL);
  INSERT INTO prof.mc SELECT * FROM prof.orders WHERE id <= 500000;
  ALTER TABLE prof.mc ADD COLUMN shadow bigint;
  COMMIT;
  ANALYZE prof.mc;  -- (VACUUM cannot run in a procedure: both variants set the hint bits)
  CHECKPOINT;
  w0 := pg_current_wal_insert_lsn();
  WHILE lo < 500000 LOOP
    IF variant = 'today' THEN
      t0 := clock_timestamp();
      SELECT array_agg(id::text ORDER BY id), array_agg(amount::text ORDER BY id) INTO ka, va
        FROM prof.mc WHERE id > lo AND id <= lo + 1000;
      rd := rd + extract(epoch FROM clock_timestamp() - t0);
      t0 := clock_timestamp();
      -- ColumnSql.modifyColumnBatch's shape: unnest, key match + text CAS, guarded CASE
      UPDATE ONLY prof.mc AS mc SET shadow = (amount::bigint)
        FROM unnest(ka, va) AS b(k0, v)
       WHERE mc.id = b.k0::bigint AND mc.amount::text COLLATE "C" IS NOT DISTINCT FROM b.v
         AND CASE WHEN mc.id = b.k0::bigint AND mc.amount::text COLLATE "C" IS NOT DISTINCT FROM b.v
                  THEN NOT (mc.shadow::text COLLATE "C" IS NOT DISTINCT FROM (CAST(amount::bigint AS bigint))::text COLLATE "C")
                  ELSE false END;
    ELSE
      t0 := clock_timestamp();
      -- pushdown: one UPDATE over the key range, skipping rows already right (by text)
      UPDATE ONLY prof.mc AS mc SET shadow = (amount::bigint)
       WHERE mc.id > lo AND mc.id <= lo + 1000
         AND NOT (mc.shadow::text COLLATE "C" IS NOT DISTINCT FROM (amount::bigint)::text COLLATE "C");
    END IF;
    st := st + extract(epoch FROM clock_timestamp() - t0);
    lo := lo + 1000;
    COMMIT;
  END LOOP;
  INSERT INTO r VALUES (variant, st, rd, round((pg_current_wal_insert_lsn() - w0) / 1048576, 1));
  COMMIT;
  DROP TABLE prof.mc;
END $$;
CALL pg_temp.run('today');
CALL pg_temp.run('pushdown');
CALL pg_temp.run('pushdown');
CALL pg_temp.run('today');
SELECT variant, round(stmt_s::numeric, 2) AS statement_s, round(read_s::numeric, 2) AS page_read_s, wal_mb FROM r;
