-- Modify-column batch, row path vs range path (issue #10, WritePath), emulated server-side and
-- interleaved so that both variants see the same load on a busy machine: two fresh copies of a
-- table like docs/profile.md's (bigint key, amount integer, about 160 bytes a row), each with a NULL
-- bigint shadow column and, unless -v trigger=off, the write-only trigger of
-- ColumnSql.createShadowTrigger (which fires on the batch's own UPDATE too). For each 1000-key
-- range: the row path on one copy (page read of keys and values as text, then
-- ColumnSql.modifyColumnBatch's UPDATE ... FROM unnest with the text compare-and-set) and the
-- range path on the other (page read of keys only, then ColumnSql.modifyColumnRange's UPDATE over
-- the range), in alternating order, each in its own transaction. Prints seconds per variant.
--   psql -X -h localhost -p PORT -U postgres -v rows=1000000 -f scripts/profile-range-ab.sql
--   psql ... -v rows=1000000 -v trigger=off -f scripts/profile-range-ab.sql
\set ON_ERROR_STOP on
\pset pager off
\if :{?rows}
\else
\set rows 1000000
\endif
\if :{?trigger}
\else
\set trigger on
\endif
DROP SCHEMA IF EXISTS rangeab CASCADE;
CREATE SCHEMA rangeab;
CREATE TABLE rangeab.src (id bigint NOT NULL, customer_id bigint NOT NULL, email text,
  amount integer NOT NULL, status text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  note text NOT NULL);
INSERT INTO rangeab.src SELECT n, n % 100000, 'user' || n || '@example.com',
  ((n * 7919) % 1000000)::int, 'paid', now() - make_interval(secs => :rows - n),
  md5(n::text) || md5((n+1)::text) || left(md5((n+2)::text), 8)
FROM generate_series(1::bigint, :rows) n;
CREATE TABLE rangeab.rows_t (LIKE rangeab.src INCLUDING ALL);
INSERT INTO rangeab.rows_t SELECT * FROM rangeab.src;
ALTER TABLE rangeab.rows_t ADD PRIMARY KEY (id);
CREATE TABLE rangeab.range_t (LIKE rangeab.src INCLUDING ALL);
INSERT INTO rangeab.range_t SELECT * FROM rangeab.src;
ALTER TABLE rangeab.range_t ADD PRIMARY KEY (id);
ALTER TABLE rangeab.rows_t ADD COLUMN shadow bigint;
ALTER TABLE rangeab.range_t ADD COLUMN shadow bigint;
CREATE OR REPLACE FUNCTION rangeab.rows_t_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
#variable_conflict use_column
BEGIN NEW.shadow := (SELECT (amount::bigint) FROM (SELECT NEW.*) AS "rows_t"); RETURN NEW; END $f$;
CREATE OR REPLACE FUNCTION rangeab.range_t_fn() RETURNS trigger LANGUAGE plpgsql AS $f$
#variable_conflict use_column
BEGIN NEW.shadow := (SELECT (amount::bigint) FROM (SELECT NEW.*) AS "range_t"); RETURN NEW; END $f$;
\if :trigger
CREATE TRIGGER zz BEFORE INSERT OR UPDATE ON rangeab.rows_t FOR EACH ROW EXECUTE FUNCTION rangeab.rows_t_fn();
CREATE TRIGGER zz BEFORE INSERT OR UPDATE ON rangeab.range_t FOR EACH ROW EXECUTE FUNCTION rangeab.range_t_fn();
\endif
VACUUM (ANALYZE, FREEZE) rangeab.rows_t, rangeab.range_t;
CHECKPOINT;
CREATE TEMP TABLE res (variant text, read_s float8, stmt_s float8, rows_written bigint);
CREATE OR REPLACE PROCEDURE pg_temp.ab(n_rows bigint) LANGUAGE plpgsql AS $$
DECLARE lo bigint := 0; ka text[]; va text[]; t0 timestamptz; k int := 0; n bigint;
  rows_read float8 := 0; rows_stmt float8 := 0; rows_n bigint := 0;
  range_read float8 := 0; range_stmt float8 := 0; range_n bigint := 0; last_key bigint;
  v text;
BEGIN
  WHILE lo < n_rows LOOP
    FOREACH v IN ARRAY CASE WHEN k % 2 = 0 THEN ARRAY['rows', 'range'] ELSE ARRAY['range', 'rows'] END LOOP
      IF v = 'rows' THEN
        t0 := clock_timestamp();
        SELECT array_agg(t.id::text ORDER BY t.id), array_agg(t.amount::text ORDER BY t.id) INTO ka, va
          FROM (SELECT id, amount FROM ONLY rangeab.rows_t WHERE id > lo ORDER BY id LIMIT 1000) t;
        rows_read := rows_read + extract(epoch FROM clock_timestamp() - t0);
        t0 := clock_timestamp();
        UPDATE ONLY rangeab.rows_t AS "rows_t" SET shadow = (amount::bigint)
          FROM unnest(ka, va) AS b(k0, v)
         WHERE "rows_t".id = b.k0::bigint AND "rows_t".amount::text COLLATE "C" IS NOT DISTINCT FROM b.v
           AND CASE WHEN "rows_t".id = b.k0::bigint AND "rows_t".amount::text COLLATE "C" IS NOT DISTINCT FROM b.v
                    THEN NOT ("rows_t".shadow::text COLLATE "C" IS NOT DISTINCT FROM (CAST((amount::bigint) AS bigint))::text COLLATE "C")
                    ELSE false END;
        GET DIAGNOSTICS n = ROW_COUNT;
        rows_stmt := rows_stmt + extract(epoch FROM clock_timestamp() - t0);
        rows_n := rows_n + n;
      ELSE
        t0 := clock_timestamp();
        SELECT array_agg(t.id::text ORDER BY t.id) INTO ka
          FROM (SELECT id FROM ONLY rangeab.range_t WHERE id > lo ORDER BY id LIMIT 1000) t;
        last_key := ka[array_upper(ka, 1)]::bigint;
        range_read := range_read + extract(epoch FROM clock_timestamp() - t0);
        t0 := clock_timestamp();
        UPDATE ONLY rangeab.range_t AS "range_t" SET shadow = (amount::bigint)
         WHERE "range_t".id > lo AND "range_t".id <= last_key
           AND CASE WHEN "range_t".id > lo AND "range_t".id <= last_key
                    THEN NOT ("range_t".shadow::text COLLATE "C" IS NOT DISTINCT FROM (CAST((amount::bigint) AS bigint))::text COLLATE "C")
                    ELSE false END;
        GET DIAGNOSTICS n = ROW_COUNT;
        range_stmt := range_stmt + extract(epoch FROM clock_timestamp() - t0);
        range_n := range_n + n;
      END IF;
      COMMIT;
    END LOOP;
    lo := lo + 1000;
    k := k + 1;
  END LOOP;
  INSERT INTO res VALUES ('rows', rows_read, rows_stmt, rows_n), ('range', range_read, range_stmt, range_n);
  COMMIT;
END $$;
CALL pg_temp.ab(:rows);
SELECT variant, round(read_s::numeric, 2) AS page_read_s, round(stmt_s::numeric, 2) AS statement_s, rows_written FROM res;
SELECT round(((SELECT stmt_s FROM res WHERE variant = 'range') / (SELECT stmt_s FROM res WHERE variant = 'rows'))::numeric, 3) AS range_over_rows_statement,
       round(((SELECT read_s + stmt_s FROM res WHERE variant = 'range') / (SELECT read_s + stmt_s FROM res WHERE variant = 'rows'))::numeric, 3) AS range_over_rows_read_and_statement;
DROP SCHEMA rangeab CASCADE;
