-- Issue #10, the deferred value B-tree lever, emulated server-side: one INSERT ... SELECT of
-- 2,000,000 entries into the index table with its UNIQUE B-tree (A, A2) against one without it
-- followed by CREATE UNIQUE INDEX CONCURRENTLY (B, B2), alternating. Run with
--   psql -X -f docs/defer-btree.sql   (as a superuser: it CHECKPOINTs; it drops schema dfr)
\timing on
DROP SCHEMA IF EXISTS dfr CASCADE;
CREATE SCHEMA dfr;
CREATE TABLE dfr.orders (id bigint PRIMARY KEY, email text, amount int, note text);
INSERT INTO dfr.orders SELECT g, 'user' || g || '@example.com', (g % 100000)::int, repeat('x', 100) FROM generate_series(1, 2000000) g;
VACUUM FREEZE ANALYZE dfr.orders;
CHECKPOINT;
-- A: today's index table DDL, unique B-tree during the bulk
CREATE TABLE dfr.ix_a (email text, id bigint NOT NULL, CONSTRAINT ix_a_pk PRIMARY KEY (id), CONSTRAINT ix_a_u UNIQUE (email));
\echo A insert with unique b-tree
INSERT INTO dfr.ix_a SELECT email, id FROM dfr.orders;
CHECKPOINT;
-- B: primary key only during the bulk, then the unique B-tree concurrently
CREATE TABLE dfr.ix_b (email text, id bigint NOT NULL, CONSTRAINT ix_b_pk PRIMARY KEY (id));
\echo B insert without the value b-tree
INSERT INTO dfr.ix_b SELECT email, id FROM dfr.orders;
\echo B create unique index concurrently
CREATE UNIQUE INDEX CONCURRENTLY ix_b_u ON dfr.ix_b (email);
CHECKPOINT;
DROP TABLE dfr.ix_a; DROP TABLE dfr.ix_b;
CREATE TABLE dfr.ix_b (email text, id bigint NOT NULL, CONSTRAINT ix_b_pk PRIMARY KEY (id));
\echo B2 insert without the value b-tree
INSERT INTO dfr.ix_b SELECT email, id FROM dfr.orders;
\echo B2 create unique index concurrently
CREATE UNIQUE INDEX CONCURRENTLY ix_b_u ON dfr.ix_b (email);
CHECKPOINT;
CREATE TABLE dfr.ix_a (email text, id bigint NOT NULL, CONSTRAINT ix_a_pk PRIMARY KEY (id), CONSTRAINT ix_a_u UNIQUE (email));
\echo A2 insert with unique b-tree
INSERT INTO dfr.ix_a SELECT email, id FROM dfr.orders;
