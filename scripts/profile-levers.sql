-- Server-side emulation of the two levers of issue #10 step 2 (docs/profile.md), one session,
-- the first 500,000 keys of prof.orders_alter, 1000-key ranges, one transaction per range, a
-- CHECKPOINT before each variant (so each pays its own full-page images). Per variant: the
-- seconds spent in the write statement only (the page read that builds the batch's text arrays is
-- timed apart), and the WAL written (insert LSN difference). Each variant runs twice, in the
-- order given and then reversed.
--   psql -X -h localhost -p 55433 -U postgres -f scripts/profile-levers.sql
\set ON_ERROR_STOP on
\pset pager off
CREATE TEMP TABLE r (variant text, stmt_s float8, read_s float8, wal_mb numeric);
CREATE OR REPLACE PROCEDURE pg_temp.run(variant text) LANGUAGE plpgsql AS $$
DECLARE lo bigint := 0; ka text[]; va text[]; t0 timestamptz; st float8 := 0; rd float8 := 0;
        w0 pg_lsn; tgt text := 'prof.lever_' || replace(variant, '-', '_');
BEGIN
  EXECUTE format('DROP TABLE IF EXISTS %s', tgt);
  EXECUTE format('CREATE TABLE %s (LIKE prof.orders_email INCLUDING ALL)', tgt);
  COMMIT;
  CHECKPOINT;
  w0 := pg_current_wal_insert_lsn();
  WHILE lo < 500000 LOOP
    IF variant IN ('today', 'write-only') THEN
      t0 := clock_timestamp();
      SELECT array_agg(id::text ORDER BY id), array_agg(email::text ORDER BY id) INTO ka, va
        FROM prof.orders_alter WHERE id > lo AND id <= lo + 1000;
      rd := rd + extract(epoch FROM clock_timestamp() - t0);
    END IF;
    t0 := clock_timestamp();
    IF variant = 'today' THEN        -- the batch of today: unnest + join + FOR SHARE + insert
      EXECUTE format('WITH b AS (SELECT * FROM unnest($1, $2) AS b(k0, v0)), l AS (SELECT t.email, t.id FROM ONLY prof.orders_alter t JOIN b ON t.id = b.k0::bigint AND t.id::text = b.k0 AND t.email::text IS NOT DISTINCT FROM b.v0 FOR SHARE OF t) INSERT INTO %s (email, id) SELECT email, id FROM l ON CONFLICT (id) DO NOTHING', tgt) USING ka, va;
    ELSIF variant = 'write-only' THEN -- write-only sink: insert the shipped values, no re-read, no lock
      EXECUTE format('INSERT INTO %s (email, id) SELECT v0, k0::bigint FROM unnest($1, $2) AS b(k0, v0) ON CONFLICT (id) DO NOTHING', tgt) USING ka, va;
    ELSIF variant = 'pushdown-lock' THEN
      EXECUTE format('INSERT INTO %s (email, id) SELECT email, id FROM (SELECT email, id FROM ONLY prof.orders_alter WHERE id > $1 AND id <= $1 + 1000 FOR SHARE) s ON CONFLICT (id) DO NOTHING', tgt) USING lo;
    ELSE                              -- pushdown, no row lock
      EXECUTE format('INSERT INTO %s (email, id) SELECT email, id FROM ONLY prof.orders_alter WHERE id > $1 AND id <= $1 + 1000 ON CONFLICT (id) DO NOTHING', tgt) USING lo;
    END IF;
    st := st + extract(epoch FROM clock_timestamp() - t0);
    lo := lo + 1000;
    COMMIT;
  END LOOP;
  INSERT INTO r VALUES (variant, st, rd, round((pg_current_wal_insert_lsn() - w0) / 1048576, 1));
  COMMIT;
  EXECUTE format('DROP TABLE %s', tgt);
END $$;
CALL pg_temp.run('today');
CALL pg_temp.run('write-only');
CALL pg_temp.run('pushdown-lock');
CALL pg_temp.run('pushdown');
-- and again in the reverse order
CALL pg_temp.run('pushdown');
CALL pg_temp.run('pushdown-lock');
CALL pg_temp.run('write-only');
CALL pg_temp.run('today');
SELECT variant, round(stmt_s::numeric, 2) AS statement_s, round(read_s::numeric, 2) AS page_read_s, wal_mb FROM r;
