package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.Identifiers;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.model.ReorgFailedException;
import dev.backfill.reorg.Abort;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.runtime.client.JobExecutionException;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.except;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue #4, modify-column end to end on the MiniCluster and the real PostgreSQL: the online result
 * equals an offline {@code ALTER TABLE ... ALTER COLUMN ... TYPE ... USING} applied to a copy
 * (values and schema, except the column order and the kept old column), under concurrent DML; a
 * value that does not convert fails the reorg naming the row, and abort restores the table; the
 * manual cut-over waits in {@code ready} and retries under {@code lock_timeout} without blocking
 * other sessions; an index, a default, a comment and a column privilege survive the cut-over.
 */
class ModifyColumnITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final String TUNING =
            "  parallelism: 2\n  batch-size: 1000\n  split-rows: 20000\n"
                    + "  checkpoint-interval: 1s\n  lock-timeout: 200ms\n";

    static JobSpec spec(String db, String table, String body, String tuning) {
        String yaml =
                "reorg: "
                        + db
                        + "\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n  user: postgres\ntable: "
                        + table
                        + "\nmodify-column:\n"
                        + body
                        + "tuning:\n"
                        + (tuning == null ? TUNING : tuning);
        return JobSpecParser.parse(yaml, db + ".yaml", Map.of());
    }

    // ------------------------------------------------------------------ int -> bigint on the key

    @Test
    void intToBigintOnThePrimaryKeyUnderConcurrentDmlEqualsOfflineAlter() throws Exception {
        String accounts =
                "(id integer PRIMARY KEY, balance integer NOT NULL DEFAULT 0, owner text)";
        DataSource ds =
                TestingReorgs.database(
                        "mc_pk",
                        "CREATE SCHEMA shop",
                        "CREATE SCHEMA offline",
                        "CREATE TABLE shop.accounts " + accounts,
                        "CREATE TABLE offline.accounts " + accounts,
                        // 200k sparse odd keys, and the largest integer.
                        "INSERT INTO shop.accounts SELECT 2 * n - 1, n % 1000,"
                                + " CASE WHEN n % 7 = 0 THEN NULL ELSE 'o' || n END"
                                + " FROM generate_series(1, 199999) n",
                        "INSERT INTO shop.accounts VALUES (2147483647, 1, 'max')",
                        "ANALYZE shop.accounts");
        JobSpec spec =
                spec(
                        "mc_pk",
                        "shop.accounts",
                        "  column: id\n  type: bigint\n  cutover: manual\n",
                        null);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        List<Writer> work = new ArrayList<>();
        AtomicLong statements = new AtomicLong();
        for (int w = 0; w < 3; w++) {
            Writer writer = new Writer(ds, w, w == 1, stop, statements);
            work.add(writer);
            Thread t = new Thread(writer, "writer-" + w);
            writers.add(t);
            t.start();
        }
        try {
            TestingReorgs.run(spec);
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        for (int w = 0; w < writers.size(); w++) {
            assertThat(writers.get(w).isAlive()).as("writer " + w + " still running").isFalse();
            assertThat(work.get(w).errors).as("writer " + w + ": unexpected errors").isEmpty();
        }
        assertThat(statements.get()).as("statements the writers ran").isGreaterThan(100);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.READY);
        TestingReorgs.assertExactRunUnderWrites(ds, spec.reorgId());
        assertThat(type(ds, "shop.accounts", "id")).isEqualTo("integer");

        // The copy taken at the end of the run, changed offline.
        exec(
                ds,
                "INSERT INTO offline.accounts SELECT id, balance, owner FROM shop.accounts",
                "ALTER TABLE offline.accounts ALTER COLUMN id TYPE bigint");
        assertThat(ColumnCommands.cutover(spec)).isEqualTo(ColumnCommands.Outcome.DONE);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);

        String online = "SELECT id, balance, owner FROM shop.accounts";
        String offline = "SELECT id, balance, owner FROM offline.accounts";
        assertThat(count(ds, "SELECT count(*) FROM shop.accounts"))
                .isEqualTo(count(ds, "SELECT count(*) FROM offline.accounts"));
        assertThat(except(ds, online, offline)).isZero();
        assertThat(except(ds, offline, online)).isZero();
        assertThat(schema(ds, "shop", "accounts")).isEqualTo(schema(ds, "offline", "accounts"));
        assertThat(
                        strings(
                                ds,
                                "SELECT (indisprimary AND indisvalid)::text FROM pg_index"
                                        + " WHERE indexrelid = 'shop.accounts_pkey'::regclass"))
                .containsExactly("true");
        assertThat(backfillObjects(ds, "shop.accounts")).isEmpty();

        // The old column is kept until cleanup, which is idempotent.
        assertThat(type(ds, "shop.accounts", "_backfill_old_id")).isEqualTo("integer");
        assertThat(ColumnCommands.cleanup(spec)).isEqualTo(ColumnCommands.Outcome.DONE);
        assertThat(type(ds, "shop.accounts", "_backfill_old_id")).isNull();
        assertThat(ColumnCommands.cleanup(spec)).isEqualTo(ColumnCommands.Outcome.NOTHING_TO_DO);
        // A value above the old type's range fits now.
        exec(ds, "INSERT INTO shop.accounts (id, balance, owner) VALUES (5000000000, 0, 'big')");
    }

    /** Inserts, updates (also of the key) and deletes until told to stop. */
    private static final class Writer implements Runnable {
        private final DataSource ds;
        private final int id;
        private final boolean repeatableRead;
        private final AtomicBoolean stop;
        private final AtomicLong statements;
        final AtomicLong serializationFailures = new AtomicLong();
        final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

        Writer(
                DataSource ds,
                int id,
                boolean repeatableRead,
                AtomicBoolean stop,
                AtomicLong statements) {
            this.ds = ds;
            this.id = id;
            this.repeatableRead = repeatableRead;
            this.stop = stop;
            this.statements = statements;
        }

        @Override
        public void run() {
            Random random = new Random(42 + id);
            long next = 1_000_000L * (id + 1);
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(false);
                if (repeatableRead) {
                    c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                }
                while (!stop.get()) {
                    long k = 1 + 2L * random.nextInt(200_000);
                    String sql;
                    switch (random.nextInt(4)) {
                        case 0:
                            sql = "INSERT INTO shop.accounts VALUES (" + next++ + ", 5, 'new')";
                            break;
                        case 1:
                            sql = "UPDATE shop.accounts SET balance = balance + 1 WHERE id = " + k;
                            break;
                        case 2:
                            // A key change: odd keys move to even ones, which nobody else uses.
                            sql = "UPDATE shop.accounts SET id = id + 1 WHERE id = " + k;
                            break;
                        default:
                            sql = "DELETE FROM shop.accounts WHERE id = " + k;
                    }
                    try (Statement st = c.createStatement()) {
                        st.execute(sql);
                        c.commit();
                        statements.incrementAndGet();
                    } catch (SQLException e) {
                        c.rollback();
                        // Only a REPEATABLE READ writer's lost race is expected: its row changed
                        // after its snapshot (40001). Anything else is a finding.
                        if (repeatableRead && "40001".equals(e.getSQLState())) {
                            serializationFailures.incrementAndGet();
                        } else {
                            errors.add(sql + ": " + e.getSQLState() + " " + e.getMessage());
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                errors.add("writer " + id + " stopped: " + e);
            }
        }
    }

    // ------------------------------------------------------------------ manual cut-over and locks

    @Test
    void manualCutoverWaitsInReadyAndRetriesUnderLockTimeoutWithoutBlockingOthers()
            throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "mc_lock",
                        "CREATE TABLE items (id int PRIMARY KEY, qty integer NOT NULL)",
                        "INSERT INTO items SELECT n, n FROM generate_series(1, 5000) n");
        JobSpec spec =
                spec(
                        "mc_lock",
                        "items",
                        "  column: qty\n  type: bigint\n  cutover: manual\n",
                        null);
        TestingReorgs.run(spec);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.READY);
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 5000);
        // Ready: the trigger still keeps the shadow column in step.
        exec(ds, "INSERT INTO items VALUES (6000, 42)");
        assertThat(strings(ds, "SELECT _backfill_new_qty::text FROM items WHERE id = 6000"))
                .containsExactly("42");

        CompletableFuture<ColumnCommands.Outcome> cutover;
        try (Connection holder = ds.getConnection()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT * FROM items LIMIT 1"); // holds ACCESS SHARE until commit
            }
            cutover =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return ColumnCommands.cutover(spec);
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            // The cut-over queues for its lock, times out, and tries again: two separate waits
            // (two statements, told apart by their start time) prove the retry.
            Set<String> waits = new HashSet<>();
            TestingReorgs.await(
                    "the cut-over waits for its lock twice (a retry after lock_timeout)",
                    Duration.ofSeconds(30),
                    () -> {
                        waits.addAll(
                                strings(
                                        ds,
                                        "SELECT query_start::text FROM pg_stat_activity WHERE"
                                                + " application_name = 'backfill:"
                                                + spec.reorgId()
                                                + "' AND wait_event_type = 'Lock'"));
                        return waits.size() >= 2;
                    });
            // Other sessions are held up at most for one lock_timeout (200 ms) at a time: with a
            // statement_timeout well above that, every read gets through while the cut-over keeps
            // retrying behind the long transaction.
            try (Connection other = ds.getConnection();
                    Statement st = other.createStatement()) {
                st.execute("SET statement_timeout = '5s'");
                for (int i = 0; i < 5; i++) {
                    st.execute("SELECT count(*) FROM items");
                }
            }
            assertThat(cutover).isNotDone();
            assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state)
                    .isEqualTo(Catalog.State.READY);
            holder.commit();
        }
        assertThat(cutover.get(60, TimeUnit.SECONDS)).isEqualTo(ColumnCommands.Outcome.DONE);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(type(ds, "items", "qty")).isEqualTo("bigint");
        assertThat(strings(ds, "SELECT qty::text FROM items WHERE id IN (5000, 6000) ORDER BY id"))
                .containsExactly("5000", "42");
        assertThat(ColumnCommands.cutover(spec)).isEqualTo(ColumnCommands.Outcome.NOTHING_TO_DO);
    }

    // ------------------------------------------------------------------ index, default, comment

    @Test
    void indexDefaultCommentAndPrivilegeArePresentAfterTheCutover() throws Exception {
        String ddl =
                " (id bigint PRIMARY KEY, qty integer NOT NULL DEFAULT 7, sku text,"
                        + " UNIQUE (sku, qty))";
        DataSource ds =
                TestingReorgs.database(
                        "mc_index",
                        "DO $$BEGIN CREATE ROLE mc_reader; EXCEPTION WHEN duplicate_object THEN"
                                + " NULL; END$$",
                        "CREATE SCHEMA shop",
                        "CREATE SCHEMA offline",
                        "CREATE TABLE shop.items" + ddl,
                        "CREATE TABLE offline.items" + ddl,
                        "CREATE INDEX items_qty ON shop.items (qty DESC)",
                        "CREATE INDEX items_qty ON offline.items (qty DESC)",
                        "COMMENT ON COLUMN shop.items.qty IS 'how many'",
                        "COMMENT ON COLUMN offline.items.qty IS 'how many'",
                        "GRANT SELECT (qty), UPDATE (qty) ON shop.items TO mc_reader",
                        "GRANT SELECT (qty), UPDATE (qty) ON offline.items TO mc_reader",
                        "INSERT INTO shop.items SELECT n, n % 100, 's' || n"
                                + " FROM generate_series(1, 20000) n");
        JobSpec spec = spec("mc_index", "shop.items", "  column: qty\n  type: bigint\n", null);
        TestingReorgs.run(spec);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 20_000);
        exec(
                ds,
                "INSERT INTO offline.items SELECT id, _backfill_old_qty, sku FROM shop.items",
                "ALTER TABLE offline.items ALTER COLUMN qty TYPE bigint");
        assertThat(schema(ds, "shop", "items")).isEqualTo(schema(ds, "offline", "items"));
        assertThat(except(ds, "SELECT * FROM offline.items", "SELECT id, qty, sku FROM shop.items"))
                .isZero();
        // The default and NOT NULL work on the new column.
        exec(ds, "INSERT INTO shop.items (id, sku) VALUES (30000, 'x')");
        assertThat(strings(ds, "SELECT qty::text FROM shop.items WHERE id = 30000"))
                .containsExactly("7");
        assertThatThrownBy(
                        () ->
                                exec(
                                        ds,
                                        "INSERT INTO shop.items (id, qty, sku) VALUES (30001, NULL, 'y')"))
                .hasMessageContaining("null value in column \"qty\"");
        assertThatThrownBy(
                        () ->
                                exec(
                                        ds,
                                        "INSERT INTO shop.items (id, qty, sku) VALUES (30002, 1, 's1')"))
                .hasMessageContaining("duplicate key value violates unique constraint");
    }

    // ------------------------------------------------------------------ using pushdown, converter

    @Test
    void usingPushdownEqualsOfflineAlterUsing() throws Exception {
        String ddl = " (id int PRIMARY KEY, cents integer)";
        DataSource ds =
                TestingReorgs.database(
                        "mc_using",
                        "CREATE SCHEMA offline",
                        "CREATE TABLE prices" + ddl,
                        "CREATE TABLE offline.prices" + ddl,
                        "INSERT INTO prices VALUES (1, NULL), (2, 0), (3, -1), (4, 1), (5, 99),"
                                + " (6, 2147483647), (7, -2147483648), (8, 12345)",
                        "INSERT INTO prices SELECT n, n * 7 FROM generate_series(9, 5000) n",
                        "INSERT INTO offline.prices SELECT * FROM prices",
                        "ALTER TABLE offline.prices ALTER COLUMN cents TYPE numeric(12,2)"
                                + " USING cents::numeric / 100");
        JobSpec spec =
                spec(
                        "mc_using",
                        "prices",
                        "  column: cents\n  type: numeric(12,2)\n"
                                + "  using: \"cents::numeric / 100\"\n",
                        null);
        TestingReorgs.run(spec);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        // Every row scanned; the one NULL needs no write (the shadow starts NULL).
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 5000, 4999);
        assertThat(type(ds, "prices", "cents")).isEqualTo("numeric(12,2)");
        String online = "SELECT id, cents FROM prices";
        String offline = "SELECT id, cents FROM offline.prices";
        assertThat(except(ds, online, offline)).isZero();
        assertThat(except(ds, offline, online)).isZero();
        assertThat(
                        strings(
                                ds,
                                "SELECT coalesce(cents::text, 'NULL') FROM prices WHERE id <= 7"
                                        + " ORDER BY id"))
                .containsExactly(
                        "NULL", "0.00", "-0.01", "0.01", "0.99", "21474836.47", "-21474836.48");
    }

    @Test
    void integerConverterConvertsTextStrictlyAndTheTriggerConvertsNewRows() throws Exception {
        String ddl = " (id int PRIMARY KEY, code text)";
        DataSource ds =
                TestingReorgs.database(
                        "mc_conv",
                        "CREATE SCHEMA offline",
                        "CREATE TABLE codes" + ddl,
                        "CREATE TABLE offline.codes" + ddl,
                        "INSERT INTO codes VALUES (1, '-2147483648'), (2, '2147483647'),"
                                + " (3, '007'), (4, NULL), (5, '+5'), (6, '9223372036854775807')",
                        "INSERT INTO codes SELECT n, n::text FROM generate_series(7, 3000) n");
        JobSpec spec =
                spec(
                        "mc_conv",
                        "codes",
                        "  column: code\n  type: bigint\n  converter: integer\n",
                        null);
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state)
                .isEqualTo(Catalog.State.WRITE_ONLY);
        // Written while write-only, before any batch: only the trigger can fill these shadows.
        String shadow = Identifiers.quote(TestingReorgs.shadow(out.plan).shadowName());
        exec(
                ds,
                "INSERT INTO codes VALUES (3001, '-9223372036854775808'), (3002, '0042'),"
                        + " (3003, '+17'), (3004, NULL), (3005, '-0')",
                "UPDATE codes SET code = '-0010' WHERE id = 10",
                "UPDATE codes SET code = NULL WHERE id = 11",
                "UPDATE codes SET code = '4611686018427387904' WHERE id = 4",
                "UPDATE codes SET id = 4000 WHERE id = 12",
                "DELETE FROM codes WHERE id = 13");
        // The expected values: an offline ALTER TABLE ... TYPE ... USING of a copy, as text.
        exec(
                ds,
                "INSERT INTO offline.codes SELECT id, code FROM codes",
                "ALTER TABLE offline.codes ALTER COLUMN code TYPE bigint USING code::bigint");
        // Inserted or with a changed code: the trigger computed the shadow. (A key change, 12 ->
        // 4000, leaves the code as it was, so its shadow is still the batch's to fill.)
        String written = "id IN (4, 10, 11, 3001, 3002, 3003, 3004, 3005)";
        assertThat(
                        strings(
                                ds,
                                "SELECT id || ': ' || coalesce("
                                        + shadow
                                        + "::text, 'NULL') FROM codes WHERE "
                                        + written
                                        + " EXCEPT SELECT id || ': ' || coalesce(code::text, 'NULL')"
                                        + " FROM offline.codes WHERE "
                                        + written))
                .as("shadow values the trigger wrote that differ from the offline ALTER")
                .isEmpty();
        assertThat(count(ds, "SELECT count(*) FROM codes WHERE " + written)).isEqualTo(8);
        assertThat(
                        strings(
                                ds,
                                "SELECT coalesce("
                                        + shadow
                                        + "::text, 'NULL') FROM codes WHERE id = 4000"))
                .as("the shadow of a row whose key alone changed")
                .containsExactly("NULL");

        TestingReorgs.runPrepared(out);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        // Nothing repaired; rows the trigger already wrote (or NULL) needed no batch write.
        TestingReorgs.assertExactRunUnderWrites(ds, spec.reorgId());
        assertThat(type(ds, "codes", "code")).isEqualTo("bigint");
        String online = "SELECT id, code::text FROM codes";
        String offline = "SELECT id, code::text FROM offline.codes";
        assertThat(except(ds, online, offline)).as("online rows not offline").isZero();
        assertThat(except(ds, offline, online)).as("offline rows not online").isZero();
        assertThat(count(ds, "SELECT count(*) FROM codes"))
                .isEqualTo(count(ds, "SELECT count(*) FROM offline.codes"));
    }

    // ------------------------------------------------------------------ failure, then abort

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"converter", "pushdown"})
    void aValueThatDoesNotConvertFailsTheReorgNamingTheRowAndAbortRestoresTheTable(String mode)
            throws Exception {
        String db = "mc_fail_" + mode;
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE codes (id int PRIMARY KEY, code text NOT NULL DEFAULT '0')",
                        "CREATE INDEX codes_code ON codes (code)",
                        "INSERT INTO codes SELECT n, CASE WHEN n = 12345 THEN '12a45' ELSE n::text"
                                + " END FROM generate_series(1, 20000) n");
        List<String> before = schema(ds, "public", "codes");
        String rows = checksum(ds);
        JobSpec spec =
                spec(
                        db,
                        "codes",
                        "  column: code\n  type: integer\n"
                                + (mode.equals("converter") ? "  converter: integer\n" : ""),
                        "  parallelism: 2\n  batch-size: 500\n  split-rows: 5000\n"
                                + "  checkpoint-interval: 1s\n");
        String error =
                mode.equals("converter")
                        ? "cannot convert column 'code' of row 12345: value '12a45' is"
                                + " not an integer"
                        : "cannot convert column 'code' of row 12345: value '12a45' does"
                                + " not convert: invalid input syntax for type integer:"
                                + " \"12a45\"";
        // The job fails, and the cause is the sink's ReorgFailedException with the reorg's error.
        assertThatThrownBy(() -> TestingReorgs.run(spec))
                .isInstanceOf(JobExecutionException.class)
                .satisfies(
                        e -> {
                            List<String> chain = new ArrayList<>();
                            for (Throwable t = e; t != null; t = t.getCause()) {
                                chain.add(t.toString());
                            }
                            assertThat(chain)
                                    .as("the failed job's causes")
                                    .contains(
                                            ReorgFailedException.class.getName()
                                                    + ": reorg "
                                                    + spec.reorgId()
                                                    + " failed: "
                                                    + error);
                        });
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error).isEqualTo(error);
        // The original column is untouched.
        assertThat(checksum(ds)).isEqualTo(rows);
        assertThat(Abort.run(spec)).isEqualTo(Abort.Outcome.ABORTED);
        assertThat(schema(ds, "public", "codes")).isEqualTo(before);
        assertThat(checksum(ds)).isEqualTo(rows);
        assertThat(backfillObjects(ds, "codes")).isEmpty();
    }

    // ------------------------------------------------------------------ helpers

    /**
     * What {@code \d} shows of a table, from the catalogs, with the schema name taken out so that
     * two tables in different schemas compare: columns (name, type, NOT NULL, default, comment,
     * privileges) in name order, without {@code _backfill_old_*}; constraints; indexes.
     */
    static List<String> schema(DataSource ds, String schema, String table) throws SQLException {
        String t = "'" + schema + "." + table + "'::regclass";
        List<String> out = new ArrayList<>();
        out.addAll(
                strings(
                        ds,
                        "SELECT a.attname || ' ' || format_type(a.atttypid, a.atttypmod)"
                                + " || ' notnull=' || a.attnotnull"
                                + " || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '-')"
                                + " || ' comment=' || coalesce(col_description(a.attrelid, a.attnum), '-')"
                                + " || ' acl=' || coalesce(a.attacl::text, '-')"
                                + " FROM pg_attribute a LEFT JOIN pg_attrdef d"
                                + " ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
                                + " WHERE a.attrelid = "
                                + t
                                + " AND a.attnum > 0 AND NOT a.attisdropped"
                                + " AND a.attname NOT LIKE '\\_backfill\\_old\\_%'"
                                + " ORDER BY a.attname"));
        out.addAll(
                strings(
                        ds,
                        "SELECT conname || ' ' || contype::text || ' ' || pg_get_constraintdef(oid)"
                                + " FROM pg_constraint WHERE conrelid = "
                                + t
                                + " ORDER BY conname"));
        out.addAll(
                strings(
                        ds,
                        "SELECT replace(pg_get_indexdef(indexrelid), '"
                                + schema
                                + ".', 'S.') || ' valid=' || indisvalid || ' primary='"
                                + " || indisprimary FROM pg_index WHERE indrelid = "
                                + t
                                + " ORDER BY 1"));
        out.addAll(
                strings(
                        ds,
                        "SELECT tgname FROM pg_trigger WHERE tgrelid = "
                                + t
                                + " AND NOT tgisinternal ORDER BY 1"));
        return out;
    }

    /** Backfill's triggers on the table and functions in schema backfill. */
    private static List<String> backfillObjects(DataSource ds, String table) throws SQLException {
        List<String> out =
                strings(
                        ds,
                        "SELECT tgname FROM pg_trigger WHERE tgrelid = '"
                                + table
                                + "'::regclass AND tgname LIKE '%backfill%'");
        out.addAll(
                strings(
                        ds,
                        "SELECT p.oid::regprocedure::text FROM pg_proc p"
                                + " JOIN pg_namespace n ON n.oid = p.pronamespace"
                                + " WHERE n.nspname = 'backfill'"));
        return out;
    }

    private static String type(DataSource ds, String table, String column) throws SQLException {
        List<String> t =
                strings(
                        ds,
                        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                                + " WHERE attrelid = '"
                                + table
                                + "'::regclass AND attname = '"
                                + column
                                + "' AND NOT attisdropped");
        return t.isEmpty() ? null : t.get(0);
    }

    private static String checksum(DataSource ds) throws SQLException {
        return strings(
                        ds,
                        "SELECT count(*) || ':' || md5(string_agg(id || '=' || code, ',' ORDER BY"
                                + " id)) FROM codes")
                .get(0);
    }

    private static void exec(DataSource ds, String... sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
