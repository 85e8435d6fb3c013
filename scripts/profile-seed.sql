-- The table of docs/profile.md (issue #10): prof.orders, 2,000,000 rows of about 160 bytes, and the
-- copies the runs use (same DDL, frozen, checkpointed). Drops schema prof first.
--   psql -X -h localhost -p 55433 -U postgres -f scripts/profile-seed.sql
\set ON_ERROR_STOP on
\timing on
DROP SCHEMA IF EXISTS prof CASCADE;
CREATE SCHEMA prof;
CREATE TABLE prof.orders (
  id bigint NOT NULL,
  customer_id bigint NOT NULL,
  email text,
  amount integer NOT NULL,
  status text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  note text NOT NULL
);
INSERT INTO prof.orders
SELECT n, n % 100000, 'user' || n || '@example.com', ((n * 7919) % 1000000)::int, 'paid',
       now() - make_interval(secs => 2000000 - n),
       md5(n::text) || md5((n+1)::text) || left(md5((n+2)::text), 8)
FROM generate_series(1::bigint, 2000000::bigint) n;
ALTER TABLE prof.orders ADD PRIMARY KEY (id);
VACUUM (ANALYZE) prof.orders;
SELECT pg_size_pretty(pg_table_size('prof.orders')) AS heap, pg_table_size('prof.orders') / 2000000 AS bytes_a_row;
CREATE TABLE prof.orders_m (LIKE prof.orders INCLUDING ALL);      -- modify-column run
CREATE TABLE prof.orders_alter (LIKE prof.orders INCLUDING ALL);  -- ALTER TYPE, lock probe, levers
CREATE TABLE prof.orders_loop (LIKE prof.orders INCLUDING ALL);   -- pgroll-style loop
CREATE TABLE prof.orders_a2 (LIKE prof.orders INCLUDING ALL);     -- add-index run 2
CREATE TABLE prof.orders_a3 (LIKE prof.orders INCLUDING ALL);     -- add-index run 3
INSERT INTO prof.orders_m SELECT * FROM prof.orders;
INSERT INTO prof.orders_alter SELECT * FROM prof.orders;
INSERT INTO prof.orders_loop SELECT * FROM prof.orders;
INSERT INTO prof.orders_a2 SELECT * FROM prof.orders;
INSERT INTO prof.orders_a3 SELECT * FROM prof.orders;
VACUUM (ANALYZE, FREEZE) prof.orders, prof.orders_m, prof.orders_alter, prof.orders_loop, prof.orders_a2, prof.orders_a3;
CHECKPOINT;
