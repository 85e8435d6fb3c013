package dev.backfill.job;

import dev.backfill.cli.ColumnCommands;
import dev.backfill.db.Catalog;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.TypeMatrix.Type;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.Finalizer;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue #9's type matrix, end to end (prepare, the Flink job on a MiniCluster, the finalizer, the
 * cut-over) on the real PostgreSQL: every type of {@link TypeMatrix} as part of a key, as an
 * indexed column (add-index) and as a modified column (modify-column), with tricky values, NULLs
 * and more than five pages on the one reading connection (parallelism 1, pages of 10 rows). The
 * oracles compare text multisets ({@code EXCEPT ALL} both ways over {@code ::text} of every column,
 * in a session with canonical settings): for add-index the index table against the source table,
 * for modify-column the table after the cut-over against a copy changed offline with {@code ALTER
 * TABLE ... TYPE ... USING}. The first pass must be exact on its own: the batches scanned and wrote
 * every row, and the finalizer repaired nothing.
 *
 * <p>Everything runs twice: with the server's defaults, and with the database's defaults (and the
 * writers' sessions) changed ({@link Settings#CHANGED}); Backfill's own connections must not care.
 */
class TypeMatrixITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(8)
                            .build());

    private static final int BATCH = 10;
    private static final int CONCURRENT_JOBS = 4;
    private static final int ROWS = 100;
    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(60);
    private static final String TUNING =
            "  parallelism: 1\n  batch-size: "
                    + BATCH
                    + "\n  split-rows: 100000\n  checkpoint-interval: 1s\n  lock-timeout: 1s\n";

    /** The canonical settings the oracle's session compares in. */
    private static final List<String> CANONICAL =
            List.of(
                    "SET DateStyle = 'ISO, MDY'",
                    "SET IntervalStyle = 'postgres'",
                    "SET TimeZone = 'UTC'",
                    "SET extra_float_digits = 3",
                    "SET bytea_output = 'hex'",
                    "SET lc_monetary = 'C'");

    /**
     * The session settings a test runs under: the database's defaults (ALTER DATABASE ... SET),
     * which reach Backfill's own pgjdbc sessions except DateStyle and TimeZone (pgjdbc's startup
     * packet sets those: ISO and the JVM's zone), and the same as SETs in the test's own writing
     * sessions, where TimeZone does take effect.
     */
    enum Settings {
        DEFAULTS(List.of()),
        CHANGED(
                List.of(
                        "TimeZone = 'America/St_Johns'",
                        "DateStyle = 'SQL, DMY'",
                        "IntervalStyle = 'sql_standard'",
                        "extra_float_digits = 0",
                        "bytea_output = 'escape'",
                        // The embedded server has only the C locales: C.utf8 is the one other.
                        "lc_monetary = 'C.utf8'"));

        /** ALTER DATABASE ... SET each. */
        final List<String> sets;

        Settings(List<String> sets) {
            this.sets = sets;
        }

        /**
         * The same as session SETs, without DateStyle: pgjdbc refuses a session whose DateStyle
         * does not start with ISO (it sets ISO at connect time, over the database default).
         */
        List<String> sessionSets() {
            return sets.stream().filter(s -> !s.startsWith("DateStyle")).toList();
        }
    }

    /** The key of each key table; leading columns first, only the last one is injective. */
    private static final List<List<String>> KEYS =
            List.of(
                    List.of("bool", "text_c", "bytea"),
                    List.of("enum", "text_icu", "uuid"),
                    List.of("int2", "numeric", "float8"),
                    List.of("domain", "date", "timestamptz"),
                    List.of("bit8", "time", "timetz"),
                    List.of("int4", "interval", "timestamp"),
                    List.of("int8", "citext", "real"),
                    List.of("cidr", "inet", "macaddr"),
                    List.of("varbit", "int4range", "money"),
                    List.of("numeric_s", "text_array", "int_array"),
                    List.of("text_ci", "char5", "jsonb"),
                    List.of("bytea"),
                    List.of("tstzrange"));

    // ------------------------------------------------------------------ keys and indexed columns

    /**
     * Every orderable type as a key column (in composite keys and alone) and as an indexed column:
     * one add-index per key table over a share of the value columns, and its index table equals the
     * table's (indexed, key) columns as text multisets after a first pass that needed no repair.
     */
    @ParameterizedTest
    @EnumSource(Settings.class)
    void everyOrderableTypeAsKeyAndAsIndexedColumn(Settings settings) throws Exception {
        String db = "tm_keys_" + settings.name().toLowerCase();
        DataSource ds = database(db, settings, tables());
        List<Type> orderable = TypeMatrix.TYPES.values().stream().filter(Type::orderable).toList();
        List<String> problems = new CopyOnWriteArrayList<>();
        try (RepairLog repairs = RepairLog.attach()) {
            List<Callable<Void>> groups = new ArrayList<>();
            for (int t = 0; t < KEYS.size(); t++) {
                List<String> indexed = new ArrayList<>();
                for (int j = t; j < orderable.size(); j += KEYS.size()) {
                    indexed.add(orderable.get(j).valueColumn());
                }
                String table = "k" + t;
                List<String> key = keyColumns(KEYS.get(t));
                String what = "add-index " + table + indexed + " key " + KEYS.get(t);
                groups.add(
                        () -> {
                            JobSpec spec =
                                    TestingReorgs.addIndexSpec(
                                            db,
                                            table,
                                            table + "_idx",
                                            String.join(", ", indexed),
                                            false,
                                            TUNING);
                            if (!runReorg(ds, spec, what, problems)) {
                                return null;
                            }
                            for (String col : indexed) {
                                List<String> cols = new ArrayList<>(key);
                                cols.add(col);
                                diff(
                                        ds,
                                        what + ", column " + col,
                                        table,
                                        table + "_idx",
                                        cols,
                                        problems);
                            }
                            long rows = count(ds, "SELECT count(*) FROM " + table);
                            firstPassExact(ds, spec.reorgId(), what, rows, rows, repairs, problems);
                            return null;
                        });
            }
            runConcurrently(groups, problems);
        }
        assertThat(problems).as("cases that are not exact").isEmpty();
    }

    // ------------------------------------------------------------------ modified columns

    /**
     * Every type as a modified column (to another type, to text, or to itself), each in a table
     * with another composite key: after the cut-over the table equals a copy changed offline with
     * {@code ALTER TABLE ... ALTER COLUMN ... TYPE ... USING}, as text multisets.
     */
    @ParameterizedTest
    @EnumSource(Settings.class)
    void everyTypeAsModifiedColumn(Settings settings) throws Exception {
        String db = "tm_modify_" + settings.name().toLowerCase();
        DataSource ds = database(db, settings, tables());
        List<String> problems = new CopyOnWriteArrayList<>();
        // One group per table, run concurrently; a table's modify-columns one after the other.
        Map<Integer, List<Type>> byTable = new TreeMap<>();
        int j = 0;
        for (Type type : TypeMatrix.TYPES.values()) {
            byTable.computeIfAbsent((j++ + 5) % KEYS.size(), k -> new ArrayList<>()).add(type);
        }
        List<Callable<Void>> groups = new ArrayList<>();
        for (Map.Entry<Integer, List<Type>> e : byTable.entrySet()) {
            int t = e.getKey();
            groups.add(
                    () -> {
                        for (Type type : e.getValue()) {
                            modifyCase(ds, settings, db, t, type, problems);
                        }
                        return null;
                    });
        }
        runConcurrently(groups, problems);
        assertThat(problems).as("cases that are not exact").isEmpty();
    }

    private static void modifyCase(
            DataSource ds, Settings settings, String db, int t, Type type, List<String> problems)
            throws Exception {
        String table = "k" + t;
        String col = type.valueColumn();
        JobSpec spec = modifySpec(db, "m-" + type.name(), table, col, type, "auto");
        String what =
                "modify-column "
                        + table
                        + "."
                        + col
                        + " "
                        + type.sqlType()
                        + " -> "
                        + type.modifyType()
                        + (type.modifyUsing() == null ? "" : " using " + type.modifyUsing())
                        + ", key "
                        + KEYS.get(t);
        List<String> cols = new ArrayList<>(keyColumns(KEYS.get(t)));
        cols.add(col);
        String offline = "off_" + type.name();
        execCanonical(
                ds,
                "CREATE TABLE "
                        + offline
                        + " AS SELECT "
                        + String.join(", ", cols)
                        + " FROM "
                        + table,
                alterOffline(offline, type));
        if (!runReorg(ds, spec, what, problems)) {
            return;
        }
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        if (r.state != Catalog.State.PUBLIC) {
            problems.add(what + ": ended " + r.state.value() + ": " + r.error);
            return;
        }
        diff(ds, what, table, offline, cols, problems);
        long rows = count(ds, "SELECT count(*) FROM " + table);
        long nonNull = count(ds, "SELECT count(" + col + ") FROM " + offline);
        firstPassExact(ds, spec.reorgId(), what, rows, nonNull, null, problems);
    }

    /**
     * Runs the groups, {@link #CONCURRENT_JOBS} at a time (each group's reorgs are on tables no
     * other group touches); an exception of a group is a problem.
     */
    private static void runConcurrently(List<Callable<Void>> groups, List<String> problems)
            throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_JOBS);
        try {
            for (Future<Void> f : pool.invokeAll(groups)) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    problems.add("a case failed: " + e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ equal but different

    /**
     * Writes that change a value to an equal but differently written one (numeric 1.0 to 1.000,
     * interval 1 day to 24 hours, float 0 to -0, jsonb 1.0 to 1.00, citext and a case-insensitive
     * collation abc to ABC) must reach the index table and the shadow column: while the reorg runs
     * (concurrent writers) and after it (the triggers alone).
     */
    @ParameterizedTest
    @EnumSource(Settings.class)
    void equalButDifferentWritesReachTheIndexAndTheShadow(Settings settings) throws Exception {
        String db = "tm_drift_" + settings.name().toLowerCase();
        List<String> ddl = new ArrayList<>(TypeMatrix.SUPPORT_DDL);
        // drift gets the index, drift_m the modify-columns (the index's triggers depend on the
        // columns, which a modify-column refuses).
        for (String table : List.of("drift", "drift_m")) {
            ddl.add(
                    "CREATE TABLE "
                            + table
                            + " (id integer PRIMARY KEY, v_numeric numeric,"
                            + " v_interval interval, v_float8 double precision, v_real real,"
                            + " v_jsonb jsonb, v_citext citext, v_ci text COLLATE tm_ci,"
                            + " v_cijson text COLLATE tm_ci)");
            ddl.add(
                    "INSERT INTO "
                            + table
                            + " SELECT n, (n || '.0')::numeric, n * interval '1 day',"
                            + " CASE WHEN n % 2 = 0 THEN '0' ELSE '-0' END::float8,"
                            + " CASE WHEN n % 2 = 0 THEN '0' ELSE '-0' END::real,"
                            + " jsonb_build_object('a', (n || '.0')::numeric),"
                            + " ('user' || n)::citext, 'user' || n, '\"user' || n || '\"'"
                            + " FROM generate_series(1, 200) n");
        }
        DataSource ds = database(db, settings, ddl);
        List<String> problems = new ArrayList<>();
        List<String> cols =
                List.of("v_numeric", "v_interval", "v_float8", "v_real", "v_jsonb", "v_citext");
        String slow = TUNING + "  max-rows-per-second: 200\n";
        try (RepairLog repairs = RepairLog.attach()) {
            JobSpec spec =
                    TestingReorgs.addIndexSpec(
                            db,
                            "drift",
                            "drift_idx",
                            String.join(", ", cols) + ", v_ci",
                            false,
                            slow);
            String what = "add-index drift" + cols + " under equal-but-different writes";
            long updates =
                    withWriters(ds, settings, "drift", () -> runReorg(ds, spec, what, problems));
            assertThat(updates).as("updates the writers made during the reorg").isPositive();
            List<String> all = new ArrayList<>(cols);
            all.add("v_ci");
            for (String col : all) {
                diff(ds, what + ", column " + col, "drift", "drift_idx", cols("id", col), problems);
            }
            firstPassExact(ds, spec.reorgId(), what, -1, -1, repairs, problems);
            // After public: the triggers alone.
            exec(ds, settings, "UPDATE drift SET " + TOGGLE);
            for (String col : all) {
                diff(
                        ds,
                        "add-index drift, after public, every row rewritten equal-but-different,"
                                + " column "
                                + col,
                        "drift",
                        "drift_idx",
                        cols("id", col),
                        problems);
            }
        }
        // modify-column of each to its own type: the shadow must follow the representation.
        // The last one converts in Java (the converter's compare-and-set and the trigger that
        // only fires when the column changes): a case-insensitive text of JSON to jsonb.
        List<String[]> cases = new ArrayList<>();
        for (String col : List.of("v_numeric", "v_interval", "v_float8", "v_jsonb", "v_citext")) {
            String type = columnType(ds, "drift_m", col);
            cases.add(new String[] {col, type, "  using: " + col + "\n", col});
        }
        cases.add(new String[] {"v_cijson", "jsonb", "  converter: jsonb\n", "v_cijson::jsonb"});
        for (String[] c : cases) {
            String col = c[0];
            String type = c[1];
            JobSpec spec =
                    modifySpec(
                            db,
                            "d-" + col.replace('_', '-'),
                            "drift_m",
                            col,
                            "  column: " + col + "\n  type: " + type + "\n" + c[2],
                            "manual");
            String what =
                    "modify-column drift_m." + col + " to " + type + " (" + c[2].strip() + ")";
            AtomicBoolean ran = new AtomicBoolean();
            long updates =
                    withWriters(
                            ds,
                            settings,
                            "drift_m",
                            () -> ran.set(runReorg(ds, spec, what, problems)));
            assertThat(updates).as("updates the writers made during " + what).isPositive();
            if (!ran.get()) {
                continue;
            }
            Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
            if (r.state != Catalog.State.READY) {
                problems.add(what + ": ended " + r.state.value() + ": " + r.error);
                continue;
            }
            // Ready: the trigger alone keeps the shadow; every row changes its representation.
            exec(ds, settings, "UPDATE drift_m SET " + TOGGLE);
            String offline = "off_" + col;
            execCanonical(
                    ds,
                    "DROP TABLE IF EXISTS " + offline,
                    "CREATE TABLE " + offline + " AS SELECT id, " + col + " FROM drift_m",
                    "ALTER TABLE "
                            + offline
                            + " ALTER COLUMN "
                            + col
                            + " TYPE "
                            + type
                            + " USING "
                            + c[3]);
            assertThat(ColumnCommands.cutover(spec)).isEqualTo(ColumnCommands.Outcome.DONE);
            diff(ds, what, "drift_m", offline, cols("id", col), problems);
        }
        assertThat(problems).as("cases that are not exact").isEmpty();
    }

    /** Flips every drift column to an equal but differently written value. */
    private static final String TOGGLE =
            "v_numeric = CASE WHEN scale(v_numeric) = 1 THEN round(v_numeric, 3)"
                    + " ELSE round(v_numeric, 1) END,"
                    + " v_interval = CASE WHEN extract(day FROM v_interval) = 0"
                    + " THEN justify_hours(v_interval)"
                    + " ELSE make_interval(hours => extract(day FROM v_interval)::int * 24) END,"
                    + " v_float8 = CASE WHEN v_float8::text = '-0' THEN '0' ELSE '-0' END::float8,"
                    + " v_real = CASE WHEN v_real::text = '-0' THEN '0' ELSE '-0' END::real,"
                    + " v_jsonb = jsonb_build_object('a', CASE WHEN v_jsonb->>'a' LIKE '%.00'"
                    + " THEN round((v_jsonb->>'a')::numeric, 1)"
                    + " ELSE round((v_jsonb->>'a')::numeric, 2) END),"
                    + " v_citext = CASE WHEN v_citext::text = upper(v_citext::text)"
                    + " THEN lower(v_citext::text) ELSE upper(v_citext::text) END::citext,"
                    + " v_ci = CASE WHEN v_ci = upper(v_ci) COLLATE \"C\" THEN lower(v_ci)"
                    + " ELSE upper(v_ci) END,"
                    + " v_cijson = CASE WHEN v_cijson = upper(v_cijson) COLLATE \"C\""
                    + " THEN lower(v_cijson) ELSE upper(v_cijson) END";

    /**
     * Runs {@code reorg} while two writers flip random rows of {@code table} to equal but
     * differently written values; returns how many updates they committed while it ran.
     */
    private static long withWriters(DataSource ds, Settings settings, String table, Runnable reorg)
            throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong updates = new AtomicLong();
        long before;
        long during;
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            int seed = w;
            Thread t =
                    new Thread(
                            () -> {
                                Random random = new Random(seed);
                                try (Connection c = ds.getConnection();
                                        Statement st = c.createStatement()) {
                                    for (String s : settings.sessionSets()) {
                                        st.execute("SET " + s);
                                    }
                                    while (!stop.get()) {
                                        st.executeUpdate(
                                                "UPDATE "
                                                        + table
                                                        + " SET "
                                                        + TOGGLE
                                                        + " WHERE id = "
                                                        + (1 + random.nextInt(200)));
                                        updates.incrementAndGet();
                                    }
                                } catch (Throwable e) {
                                    failure.set(e);
                                }
                            },
                            "drift-writer-" + w);
            writers.add(t);
            t.start();
        }
        try {
            TestingReorgs.await(
                    "the writers made their first updates",
                    Duration.ofSeconds(30),
                    () -> updates.get() > 10 || failure.get() != null);
            before = updates.get();
            reorg.run();
            during = updates.get() - before;
        } finally {
            stop.set(true);
            for (Thread t : writers) {
                t.join(TimeUnit.SECONDS.toMillis(30));
            }
        }
        if (failure.get() != null) {
            throw new AssertionError("a writer failed", failure.get());
        }
        return during;
    }

    // ------------------------------------------------------------------ not orderable

    /**
     * json and xml have no B-tree operator class: add-index refuses them before any DDL, naming the
     * column and its type.
     */
    @Test
    void addIndexRefusesJsonAndXmlNamingTheColumnAndType() throws Exception {
        String db = "tm_refuse";
        DataSource ds =
                database(
                        db,
                        Settings.DEFAULTS,
                        List.of(
                                "CREATE TABLE r (id integer PRIMARY KEY, v_json json, v_xml xml,"
                                        + " v_text text)",
                                "INSERT INTO r SELECT n, json_build_object('n', n),"
                                        + " xmlelement(name r, n), 't' || n"
                                        + " FROM generate_series(1, 50) n"));
        for (String[] c : new String[][] {{"v_json", "json"}, {"v_xml", "xml"}}) {
            JobSpec spec =
                    TestingReorgs.addIndexSpec(
                            db, "r", "r_" + c[0], "v_text, " + c[0], false, TUNING);
            assertThatThrownBy(() -> TestingReorgs.run(spec))
                    .hasMessageContaining("column " + c[0])
                    .hasMessageContaining(c[1]);
            assertThat(count(ds, "SELECT count(*) FROM pg_class WHERE relname = 'r_" + c[0] + "'"))
                    .isZero();
            assertThat(count(ds, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'r'::regclass"))
                    .isZero();
        }
    }

    // ------------------------------------------------------------------ support

    private static List<String> tables() {
        List<String> ddl = new ArrayList<>(TypeMatrix.SUPPORT_DDL);
        for (int t = 0; t < KEYS.size(); t++) {
            ddl.addAll(TypeMatrix.table("k" + t, KEYS.get(t), ROWS));
            ddl.add("ANALYZE k" + t);
        }
        return ddl;
    }

    private static List<String> keyColumns(List<String> key) {
        return key.stream().map(k -> TypeMatrix.type(k).keyColumn()).toList();
    }

    private static List<String> cols(String... names) {
        return List.of(names);
    }

    /** A fresh database with the settings as its defaults, and {@code ddl} run under them. */
    private static DataSource database(String name, Settings settings, List<String> ddl)
            throws SQLException {
        DataSource ds = TestingPostgres.get().createDatabase(name);
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : settings.sets) {
                st.execute("ALTER DATABASE " + name + " SET " + s);
            }
        }
        exec(ds, settings, ddl.toArray(new String[0]));
        return ds;
    }

    private static void exec(DataSource ds, Settings settings, String... sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : settings.sessionSets()) {
                st.execute("SET " + s);
            }
            for (String s : sql) {
                try {
                    st.execute(s);
                } catch (SQLException e) {
                    throw new SQLException(e.getMessage() + "\n  in: " + s, e);
                }
            }
        }
    }

    /** Runs {@code sql} in a session with the canonical settings: the oracle's side. */
    private static void execCanonical(DataSource ds, String... sql) throws SQLException {
        List<String> all = new ArrayList<>(CANONICAL);
        all.addAll(List.of(sql));
        exec(ds, Settings.DEFAULTS, all.toArray(new String[0]));
    }

    private static long count(DataSource ds, String sql) throws SQLException {
        return TestingReorgs.count(ds, sql);
    }

    private static String columnType(DataSource ds, String table, String column)
            throws SQLException {
        return TestingReorgs.strings(
                        ds,
                        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid"
                                + " = '"
                                + table
                                + "'::regclass AND attname = '"
                                + column
                                + "'")
                .get(0);
    }

    private static String alterOffline(String offline, Type type) {
        String col = type.valueColumn();
        return "ALTER TABLE "
                + offline
                + " ALTER COLUMN "
                + col
                + " TYPE "
                + type.modifyType()
                + " USING "
                + (type.modifyUsing() != null
                        ? type.modifyUsing()
                        : "CAST(" + col + " AS " + type.modifyType() + ")");
    }

    private static JobSpec modifySpec(
            String db, String id, String table, String column, Type type, String cutover) {
        return modifySpec(
                db,
                id,
                table,
                column,
                "  column: "
                        + column
                        + "\n  type: \""
                        + type.modifyType()
                        + "\"\n"
                        + (type.modifyUsing() == null
                                ? ""
                                : "  using: \"" + type.modifyUsing() + "\"\n"),
                cutover);
    }

    private static JobSpec modifySpec(
            String db, String id, String table, String column, String body, String cutover) {
        String yaml =
                "reorg: "
                        + id
                        + "\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n  user: postgres\ntable: "
                        + table
                        + "\nmodify-column:\n"
                        + body
                        + "  cutover: "
                        + cutover
                        + "\ntuning:\n"
                        + TUNING;
        return JobSpecParser.parse(yaml, id + ".yaml", Map.of());
    }

    /**
     * Sets the reorg up and runs its job to the end, failing it after {@link #JOB_TIMEOUT} (a
     * reader that never advances must not hang the build). Returns false, with the problem added,
     * when setup or the job failed.
     */
    private static boolean runReorg(
            DataSource ds, JobSpec spec, String what, List<String> problems) {
        try {
            ReorgSetup.Outcome out = ReorgSetup.run(spec);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(spec.tuning().parallelism());
            env.enableCheckpointing(spec.tuning().checkpointInterval().toMillis());
            BackfillPipeline.build(env, out.plan);
            JobClient job = env.executeAsync(BackfillPipeline.jobName(out.plan));
            try {
                job.getJobExecutionResult().get(JOB_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                try {
                    job.cancel().get(30, TimeUnit.SECONDS);
                } catch (ExecutionException raced) {
                    // It finished while being cancelled (a slow machine): then it is not a hang.
                    if (job.getJobStatus().get(30, TimeUnit.SECONDS) == JobStatus.FINISHED) {
                        job.getJobExecutionResult().get(30, TimeUnit.SECONDS);
                        return true;
                    }
                    throw raced;
                }
                Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
                problems.add(
                        what
                                + ": the job did not finish within "
                                + JOB_TIMEOUT.toSeconds()
                                + " s (state "
                                + r.state.value()
                                + ", rows_done "
                                + r.rowsDone
                                + " of "
                                + count(ds, "SELECT count(*) FROM " + spec.table())
                                + ")");
                return false;
            }
            return true;
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            String state = "";
            try {
                Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
                state = " (reorg " + r.state.value() + ": " + r.error + ")";
            } catch (Exception ignored) {
                // not in the catalog: setup failed
            }
            problems.add(what + ": failed: " + root + state);
            return false;
        }
    }

    /**
     * The table's {@code cols} and the target's, as text multisets, in a session with canonical
     * settings: rows in one and not the other are a problem.
     */
    private static void diff(
            DataSource ds,
            String what,
            String table,
            String target,
            List<String> cols,
            List<String> problems)
            throws SQLException {
        String list = cols.stream().map(c -> c + "::text").collect(Collectors.joining(", "));
        String a = "SELECT " + list + " FROM " + table;
        String b = "SELECT " + list + " FROM " + target;
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : CANONICAL) {
                st.execute(s);
            }
            long missing = scalar(st, "SELECT count(*) FROM (" + a + " EXCEPT ALL " + b + ") d");
            long extra = scalar(st, "SELECT count(*) FROM (" + b + " EXCEPT ALL " + a + ") d");
            if (missing != 0 || extra != 0) {
                String sample;
                try (ResultSet rs =
                        st.executeQuery(
                                "SELECT ROW(d.*)::text FROM ("
                                        + a
                                        + " EXCEPT ALL "
                                        + b
                                        + ") d LIMIT 2")) {
                    List<String> rows = new ArrayList<>();
                    while (rs.next()) {
                        rows.add(rs.getString(1));
                    }
                    sample = String.join(" ", rows);
                }
                problems.add(
                        what
                                + ": "
                                + missing
                                + " rows of "
                                + table
                                + " not in "
                                + target
                                + ", "
                                + extra
                                + " the other way (e.g. "
                                + sample
                                + ")");
            }
        }
    }

    private static long scalar(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * The first pass was exact on its own: the batches scanned {@code scanned} rows and wrote
     * {@code written} (each -1: not checked, e.g. under concurrent writes), and the finalizer
     * repaired nothing: {@code backfill.reorgs.rows_repaired} is 0 where it exists, and no repair
     * was logged for the reorg (add-index; a modify-column reorg fails verification instead).
     */
    private static void firstPassExact(
            DataSource ds,
            String reorgId,
            String what,
            long scanned,
            long written,
            RepairLog repairs,
            List<String> problems)
            throws SQLException {
        String progress = "FROM backfill.progress WHERE reorg_id = '" + reorgId + "'";
        if (scanned >= 0 && scanned <= 5L * BATCH) {
            problems.add(what + ": " + scanned + " rows are not more than five pages");
        }
        if (scanned >= 0) {
            long s = count(ds, "SELECT coalesce(sum(rows_scanned), 0) " + progress);
            if (s != scanned) {
                problems.add(what + ": the batches scanned " + s + " rows of " + scanned);
            }
        }
        if (written >= 0) {
            long w = count(ds, "SELECT coalesce(sum(rows_written), 0) " + progress);
            if (w != written) {
                problems.add(what + ": the batches wrote " + w + " rows, expected " + written);
            }
        }
        if (count(
                        ds,
                        "SELECT count(*) FROM information_schema.columns WHERE table_schema ="
                                + " 'backfill' AND table_name = 'reorgs' AND column_name ="
                                + " 'rows_repaired'")
                == 1) {
            long repaired =
                    count(
                            ds,
                            "SELECT rows_repaired FROM backfill.reorgs WHERE id = '"
                                    + reorgId
                                    + "'");
            if (repaired != 0) {
                problems.add(what + ": the finalizer repaired " + repaired + " rows");
            }
        }
        if (repairs != null) {
            List<String> logged = repairs.repairsOf(reorgId);
            if (!logged.isEmpty()) {
                problems.add(what + ": the finalizer repaired: " + logged);
            }
        }
    }

    /** Collects the finalizer's WARN lines (it logs every repair there) while attached. */
    private static final class RepairLog extends AbstractAppender implements AutoCloseable {
        private final List<String> warnings = new CopyOnWriteArrayList<>();
        private LoggerConfig config;

        private RepairLog() {
            super("type-matrix-repairs", null, null, true, Property.EMPTY_ARRAY);
        }

        static RepairLog attach() {
            RepairLog log = new RepairLog();
            log.start();
            LoggerContext ctx = LoggerContext.getContext(false);
            log.config = ctx.getConfiguration().getLoggerConfig(Finalizer.class.getName());
            log.config.addAppender(log, Level.WARN, null);
            ctx.updateLoggers();
            return log;
        }

        @Override
        public void append(LogEvent event) {
            if (event.getLoggerName().equals(Finalizer.class.getName())
                    && event.getLevel() == Level.WARN) {
                warnings.add(event.getMessage().getFormattedMessage());
            }
        }

        /** The WARN lines about repairing reorg {@code id}. */
        List<String> repairsOf(String id) {
            return warnings.stream()
                    .filter(m -> m.startsWith("reorg " + id + ":") && m.contains("repair"))
                    .toList();
        }

        @Override
        public void close() {
            config.removeAppender(getName());
            LoggerContext.getContext(false).updateLoggers();
            stop();
        }
    }
}
