package dev.backfill.job;

import dev.backfill.cli.BackfillCli;
import dev.backfill.cli.Plan;
import dev.backfill.cli.Status;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.model.JobSpec;
import dev.backfill.op.modifycolumn.ShadowColumn;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Issue #9, hardening, on the real PostgreSQL: a modify-column's {@code type} is resolved by the
 * server and nothing else is accepted; a {@code using} that is not one expression is refused before
 * anything runs; the secrets of a JDBC URL reach neither the catalog, nor the logs, nor the printed
 * status and plan, nor the Flink job's configuration, nor the errors of a failing connection;
 * prepare counts a never-analyzed table outside its DDL transaction.
 */
class HardeningITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    private static final String TABLE =
            "CREATE TABLE shop.t (id integer PRIMARY KEY, v text, n numeric, ts timestamptz,"
                    + " c integer)";

    private static DataSource database(String db) throws Exception {
        return TestingReorgs.database(
                db,
                "CREATE SCHEMA shop",
                TABLE,
                "INSERT INTO shop.t SELECT g, 'v' || g, g / 7.0, '2024-01-01'::timestamptz"
                        + " + g * interval '1 second', g FROM generate_series(1, 500) g",
                "CREATE TABLE shop.victim (x integer)",
                "INSERT INTO shop.victim VALUES (1), (2), (3)",
                "ANALYZE shop.t");
    }

    /** A modify-column spec as the parser reads it, with the given column, type and using. */
    private static JobSpec modify(String db, String reorg, String column, String type, String u) {
        JobSpec s =
                JobSpecParser.parse(
                        "reorg: "
                                + reorg
                                + "\ndatabase:\n  url: "
                                + TestingPostgres.get().jdbcUrl(db)
                                + "\n  user: postgres\ntable: shop.t\nmodify-column:\n"
                                + "  column: "
                                + column
                                + "\n  type: bigint\n  cutover: manual\n",
                        db + ".yaml",
                        Map.of());
        // Built directly: the values the parser refuses must be refused by the server path too.
        return new JobSpec(
                s.sourceFile(),
                s.reorgId(),
                s.rawSpec(),
                s.database(),
                s.schema(),
                s.table(),
                JobSpec.Operation.MODIFY_COLUMN,
                null,
                new JobSpec.ModifyColumnSpec(
                        column, type, u, null, Map.of(), JobSpec.ModifyColumnSpec.Cutover.MANUAL),
                s.tuning());
    }

    private static String columnType(DataSource ds, String column) throws Exception {
        List<String> t =
                strings(
                        ds,
                        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                                + " WHERE attrelid = 'shop.t'::regclass AND attname = '"
                                + column
                                + "' AND NOT attisdropped");
        return t.isEmpty() ? null : t.get(0);
    }

    /** Nothing ran: the victim table and its rows, no shadow column, no reorg in the catalog. */
    private static void assertNothingRan(DataSource ds) throws Exception {
        assertThat(count(ds, "SELECT count(*) FROM shop.victim")).isEqualTo(3);
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM pg_attribute WHERE attrelid = 'shop.t'::regclass"
                                        + " AND attname LIKE '\\_backfill%' AND NOT attisdropped"))
                .isZero();
        assertThat(count(ds, "SELECT count(*) FROM shop.t WHERE v = 'v' || id")).isEqualTo(500);
        assertThat(count(ds, "SELECT count(*) FROM backfill.reorgs")).isZero();
    }

    // ------------------------------------------------------------------ type

    @Test
    void theTypeIsResolvedByTheServerAndOnlyItsSpellingGoesIntoSql() throws Exception {
        DataSource ds = database("hd_types");
        String[][] cases = {
            {"v", "varchar(20)", "character varying(20)"},
            {"n", "NUMERIC ( 12 , 2 )", "numeric(12,2)"},
            {"ts", "timestamp(3) with time zone", "timestamp(3) with time zone"},
            // A comment is no part of the type; written raw, it swallowed the rest of the SQL.
            {"c", "int4 -- the new type", "integer"},
        };
        for (String[] k : cases) {
            ReorgSetup.Outcome out =
                    ReorgSetup.run(modify("hd_types", "t-" + k[0], k[0], k[1], null));
            assertThat(out.status).as(k[1]).isEqualTo(ReorgSetup.Status.PREPARED);
            assertThat(TestingReorgs.shadow(out.plan).type()).as(k[1]).isEqualTo(k[2]);
            assertThat(columnType(ds, "_backfill_new_" + k[0])).as(k[1]).isEqualTo(k[2]);
        }
        // The trigger computes the new values with the resolved type.
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("UPDATE shop.t SET n = 1.005, v = 'abc', c = 7 WHERE id = 1");
        }
        assertThat(
                        strings(
                                ds,
                                "SELECT _backfill_new_n::text || ' ' || _backfill_new_v || ' '"
                                        + " || _backfill_new_c FROM shop.t WHERE id = 1"))
                .containsExactly("1.01 abc 7");
    }

    @Test
    void whatIsNotExactlyATypeIsRefusedNamingTheFieldAndNothingRuns() throws Exception {
        DataSource ds = database("hd_badtypes");
        String[][] cases = {
            {"int); drop table shop.victim; --", "is not a type"},
            {"integer default 1", "is not a type"},
            {"text collate \"C\"", "is not a type"},
            {"no_such_type", "is not a type in this database"},
            {"setof integer", "is not a type in this database"},
            {"numeric(1000,2000)", "is not a type"},
            {"record", "is record, a pseudo-type"},
            {"anyelement", "is anyelement, a pseudo-type"},
        };
        for (String[] k : cases) {
            TableInfo.TableException e =
                    catchThrowableOfType(
                            TableInfo.TableException.class,
                            () -> ReorgSetup.run(modify("hd_badtypes", "bad", "c", k[0], null)));
            assertThat((Object) e).as(k[0]).isNotNull();
            assertThat(e.getMessage())
                    .as(k[0])
                    .startsWith("modify-column.type: '" + k[0] + "' " + k[1]);
            assertNothingRan(ds);
        }
    }

    // ------------------------------------------------------------------ using

    @Test
    void aUsingThatIsNotOneExpressionIsRefusedOnEveryPathAndNothingRuns() throws Exception {
        DataSource ds = database("hd_using");
        String[][] cases = {
            {"1); DROP TABLE shop.victim; SELECT (1", "closes a parenthesis it did not open"},
            {
                "v::bigint; DROP TABLE shop.victim",
                "holds ';' outside quotes and comments, which would end the statement; give one"
                        + " expression"
            },
            {"1) --", "closes a parenthesis it did not open"},
            {"1) WHERE true --", "closes a parenthesis it did not open"},
            {"length(v /* ", "a comment (/* ...) is not closed"},
            {"$x$ ) ; DROP TABLE shop.victim; --", "a dollar-quoted string ($x$...) is not closed"},
        };
        for (String[] k : cases) {
            JobSpec spec = modify("hd_using", "bad-using", "c", "bigint", k[0]);
            TableInfo.TableException e =
                    catchThrowableOfType(
                            TableInfo.TableException.class, () -> ReorgSetup.run(spec));
            assertThat((Object) e).as(k[0]).isNotNull();
            assertThat(e.getMessage())
                    .as(k[0])
                    .isEqualTo("modify-column.using: '" + k[0] + "' " + k[1]);
            assertNothingRan(ds);

            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            TableInfo.TableException p =
                    catchThrowableOfType(
                            TableInfo.TableException.class,
                            () ->
                                    new Plan(new PrintStream(printed, true, StandardCharsets.UTF_8))
                                            .run(spec));
            assertThat((Object) p).as("plan: " + k[0]).isNotNull();
            assertThat(p.getMessage()).startsWith("modify-column.using: ");
            assertNothingRan(ds);
        }

        // The shadow column, which every statement takes the expression from, refuses it too.
        TableInfo table;
        try (Connection c = ds.getConnection()) {
            table = TableInfo.load(c, "shop", "t");
        }
        IllegalArgumentException e =
                catchThrowableOfType(
                        IllegalArgumentException.class,
                        () ->
                                new ShadowColumn(
                                        table,
                                        table.column("c").orElseThrow(),
                                        "bigint",
                                        "1); DROP TABLE shop.victim; SELECT (1",
                                        "x"));
        assertThat(e).isNotNull();
        assertThat(e.getMessage())
                .isEqualTo(
                        "the using expression of column c, 1); DROP TABLE shop.victim; SELECT"
                                + " (1, closes a parenthesis it did not open");
    }

    @Test
    void aUsingWithQuotesAndCommentsStillWorks() throws Exception {
        DataSource ds = database("hd_using_ok");
        JobSpec spec =
                modify(
                        "hd_using_ok",
                        "ok-using",
                        "c",
                        "text",
                        "c::text || ';)' || $q$;($q$ -- a comment ; with )");
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("UPDATE shop.t SET c = 9 WHERE id = 2");
        }
        assertThat(strings(ds, "SELECT _backfill_new_c FROM shop.t WHERE id = 2"))
                .containsExactly("9;);(");
    }

    // ------------------------------------------------------------------ secrets

    @Test
    void noSecretOfTheUrlIsStoredLoggedPrintedShippedOrThrown() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "hd_secrets",
                        "CREATE SCHEMA shop",
                        "CREATE TABLE shop.items (id integer PRIMARY KEY, email text)",
                        "INSERT INTO shop.items SELECT g, 'u' || g || '@x' FROM"
                                + " generate_series(1, 3000) g",
                        "ANALYZE shop.items");
        String url =
                TestingPostgres.get().jdbcUrl("hd_secrets")
                        + "?password=s3cret&sslpassword=s3cret2";
        JobSpec spec =
                JobSpecParser.parse(
                        "reorg: secrets\ndatabase:\n  url: "
                                + url
                                + "\n  user: postgres\ntable: shop.items\nadd-index:\n"
                                + "  name: items_email\n  columns: [email]\ntuning:\n"
                                + "  parallelism: 1\n  batch-size: 500\n  split-rows: 1000\n"
                                + "  checkpoint-interval: 1s\n",
                        "secrets.yaml",
                        Map.of());
        assertThat(spec.database().url()).isEqualTo(url);

        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        ReorgSetup.Outcome setup;
        List<String> logs;
        try (AllLogs capture = AllLogs.attach()) {
            setup = TestingReorgs.run(spec);
            new Status(out, false, Status.WATCH_PERIOD).run(spec, false, false);
            new Plan(out).run(spec);
            logs = capture.lines();
        }
        assertThat(TestingReorgs.reorg(ds, "secrets").state.value()).isEqualTo("public");

        List<String> stored = strings(ds, "SELECT spec FROM backfill.reorgs WHERE id = 'secrets'");
        assertThat(stored).hasSize(1);
        assertThat(stored.get(0))
                .contains("?password=***&sslpassword=***")
                .doesNotContain("s3cret");

        assertThat(logs).as("the run logged").isNotEmpty();
        assertThat(String.join("\n", logs)).doesNotContain("s3cret");
        String shown = printed.toString(StandardCharsets.UTF_8);
        assertThat(shown).contains("secrets").contains("plan:").doesNotContain("s3cret");

        // The Flink job: its configuration and its plan show no secret.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        BackfillPipeline.build(env, setup.plan);
        assertThat(env.getConfiguration().toString()).doesNotContain("s3cret");
        assertThat(env.getConfig().toString()).doesNotContain("s3cret");
        assertThat(env.getExecutionPlan()).doesNotContain("s3cret");
        assertThat(BackfillPipeline.jobName(setup.plan)).doesNotContain("s3cret");
        assertThat(setup.plan.spec().toString()).doesNotContain("s3cret");

        // A connection that fails: nothing listens on port 1.
        JobSpec unreachable =
                JobSpecParser.parse(
                        "reorg: unreachable\ndatabase:\n  url: jdbc:postgresql://localhost:1/db"
                                + "?password=s3cret&sslpassword=s3cret2\n  user: postgres\n"
                                + "table: shop.items\nadd-index:\n  name: items_email\n"
                                + "  columns: [email]\n",
                        "unreachable.yaml",
                        Map.of());
        Exception e = catchThrowableOfType(Exception.class, () -> ReorgSetup.run(unreachable));
        assertThat(e).isNotNull();
        for (Throwable t = e; t != null; t = t.getCause()) {
            assertThat(String.valueOf(t.getMessage())).doesNotContain("s3cret");
        }
        assertThat(BackfillCli.describe(e)).contains("localhost:1").doesNotContain("s3cret");
    }

    // ------------------------------------------------------------------ prepare's count

    @Test
    void prepareCountsANeverAnalyzedTableOutsideItsDdlTransaction() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "hd_count",
                        "CREATE SCHEMA shop",
                        "CREATE TABLE shop.fresh (id integer PRIMARY KEY, email text)"
                                + " WITH (autovacuum_enabled = false)",
                        "INSERT INTO shop.fresh SELECT g, 'u' || g FROM generate_series(1, 2000) g");
        assertThat(
                        count(
                                ds,
                                "SELECT reltuples::bigint FROM pg_class"
                                        + " WHERE oid = 'shop.fresh'::regclass"))
                .as("never analyzed: prepare must count it")
                .isEqualTo(-1);
        JobSpec spec =
                JobSpecParser.parse(
                        "reorg: fresh\ndatabase:\n  url: "
                                + TestingPostgres.get().jdbcUrl("hd_count")
                                + "\n  user: postgres\ntable: shop.fresh\nadd-index:\n"
                                + "  name: fresh_email\n  columns: [email]\ntuning:\n"
                                + "  lock-timeout: 60s\n",
                        "fresh.yaml",
                        Map.of());

        CompletableFuture<ReorgSetup.Outcome> prepare;
        try (Connection blocker = ds.getConnection()) {
            blocker.setAutoCommit(false);
            try (Statement st = blocker.createStatement()) {
                // A writer's lock: the trigger's DDL waits for it, a read would not.
                st.execute("LOCK TABLE shop.fresh IN ROW EXCLUSIVE MODE");
            }
            prepare =
                    CompletableFuture.supplyAsync(
                            () -> {
                                try {
                                    return ReorgSetup.run(spec);
                                } catch (Exception ex) {
                                    throw new RuntimeException(ex);
                                }
                            });
            long[] pid = new long[1];
            TestingReorgs.await(
                    "prepare's DDL transaction waits for its lock on shop.fresh",
                    Duration.ofSeconds(60),
                    () -> {
                        List<String> p =
                                strings(
                                        ds,
                                        "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l"
                                                + " ON l.pid = a.pid WHERE a.application_name"
                                                + " = 'backfill:fresh' AND NOT l.granted"
                                                + " AND l.relation = 'shop.fresh'::regclass");
                        if (p.isEmpty()) {
                            return false;
                        }
                        pid[0] = Long.parseLong(p.get(0));
                        return true;
                    });
            List<String> held = new ArrayList<>();
            try (Connection c = ds.getConnection();
                    PreparedStatement ps =
                            c.prepareStatement(
                                    "SELECT mode FROM pg_locks WHERE pid = ? AND granted"
                                            + " AND relation = 'shop.fresh'::regclass")) {
                ps.setLong(1, pid[0]);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        held.add(rs.getString(1));
                    }
                }
            }
            // A count(*) in the DDL transaction would hold its AccessShareLock here.
            assertThat(held).as("locks on shop.fresh granted to the DDL transaction").isEmpty();
            blocker.commit();
        }
        ReorgSetup.Outcome out = prepare.get(60, TimeUnit.SECONDS);
        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        assertThat(TestingReorgs.reorg(ds, "fresh").rowsEstimated).isEqualTo(2000);
    }

    /** Every log event of every logger, formatted, with the messages of its exceptions. */
    private static final class AllLogs extends AbstractAppender implements AutoCloseable {
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final List<LoggerConfig> configs = new ArrayList<>();
        private LoggerConfig backfill;
        private Level backfillLevel;

        private AllLogs() {
            super("hardening-all-logs", null, null, true, Property.EMPTY_ARRAY);
        }

        static AllLogs attach() {
            AllLogs a = new AllLogs();
            a.start();
            LoggerContext ctx = LoggerContext.getContext(false);
            Configuration cfg = ctx.getConfiguration();
            a.configs.add(cfg.getRootLogger());
            a.configs.addAll(cfg.getLoggers().values());
            for (LoggerConfig lc : a.configs) {
                lc.addAppender(a, Level.ALL, null);
            }
            // Our own classes at every level while attached.
            a.backfill = cfg.getLoggerConfig("dev.backfill");
            a.backfillLevel = a.backfill.getLevel();
            a.backfill.setLevel(Level.ALL);
            ctx.updateLoggers();
            return a;
        }

        @Override
        public void append(LogEvent event) {
            StringBuilder sb = new StringBuilder(event.getMessage().getFormattedMessage());
            for (Throwable t = event.getThrown(); t != null; t = t.getCause()) {
                sb.append(" | ").append(t);
            }
            lines.add(sb.toString());
        }

        List<String> lines() {
            return new ArrayList<>(lines);
        }

        @Override
        public void close() {
            for (LoggerConfig lc : configs) {
                lc.removeAppender(getName());
            }
            backfill.setLevel(backfillLevel);
            LoggerContext.getContext(false).updateLoggers();
            stop();
        }
    }
}
