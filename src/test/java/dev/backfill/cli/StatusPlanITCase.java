package dev.backfill.cli;

import dev.backfill.cli.TestingCli.Result;
import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.BackfillPipeline;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.source.enumerator.KeyRangeSplitter;

import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue #5, {@code status} and {@code plan} on the real PostgreSQL and, where a reorg has to run,
 * the MiniCluster: plan changes nothing (a snapshot of every relation, column, constraint, trigger,
 * function, schema and catalog row, and the table's data, is equal before and after), prints the
 * DDL, the triggers and the splits the enumerator then really cuts; status shows a finished reorg
 * public at 100% with its rows and Flink job id, lists every reorg with {@code --all}, watches a
 * running reorg until it is public, and refuses an unknown reorg with exit 2.
 */
class StatusPlanITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final String TUNING =
            "tuning:\n  parallelism: 2\n  batch-size: 500\n  split-rows: 10000\n"
                    + "  checkpoint-interval: 1s\n";

    @TempDir Path dir;

    /** shop.items with ids 1..25000, analyzed. */
    private static DataSource items(String db) throws SQLException {
        return TestingReorgs.database(
                db,
                "CREATE SCHEMA shop",
                "CREATE TABLE shop.items (id bigint PRIMARY KEY, email text, qty integer NOT NULL,"
                        + " note text)",
                "INSERT INTO shop.items SELECT n, 'u' || n || '@example.com', n % 100, 'n' || n % 7"
                        + " FROM generate_series(1, 25000) n",
                "ANALYZE shop.items");
    }

    private static String addIndexYaml(String db, String reorg, String column, String tuning) {
        return "reorg: "
                + reorg
                + "\ndatabase:\n  url: "
                + TestingPostgres.get().jdbcUrl(db)
                + "\n  user: postgres\ntable: shop.items\nadd-index:\n  name: items_"
                + column
                + "\n  columns: ["
                + column
                + "]\n  unique: false\n"
                + (tuning == null ? TUNING : tuning);
    }

    private static String modifyColumnYaml(String db, String reorg) {
        return "reorg: "
                + reorg
                + "\ndatabase:\n  url: "
                + TestingPostgres.get().jdbcUrl(db)
                + "\n  user: postgres\ntable: shop.items\nmodify-column:\n  column: qty\n"
                + "  type: bigint\n"
                + TUNING;
    }

    private Path file(String name, String yaml) throws Exception {
        Path p = dir.resolve(name + ".yaml");
        Files.writeString(p, yaml);
        return p;
    }

    private static JobSpec spec(String yaml) {
        return JobSpecParser.parse(yaml, "test.yaml", Map.of());
    }

    private static Result cli(String... argv) {
        return TestingCli.run(argv);
    }

    /** Runs the reorg to the end on the MiniCluster; returns the Flink job's id. */
    private static JobID run(JobSpec spec) throws Exception {
        ReorgSetup.Outcome setup = ReorgSetup.run(spec);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(spec.tuning().parallelism());
        env.enableCheckpointing(spec.tuning().checkpointInterval().toMillis());
        BackfillPipeline.build(env, setup.plan);
        return env.execute(BackfillPipeline.jobName(setup.plan)).getJobID();
    }

    // ------------------------------------------------------------------ plan

    /**
     * Everything a plan could conceivably change, as text: schemas, relations (with their storage
     * file, which a rewrite would change), columns, constraints, triggers, functions (with their
     * source), the rows of backfill.reorgs and backfill.progress when they exist, and the data.
     */
    private static List<String> snapshot(DataSource ds) throws SQLException {
        String userNs =
                " n.nspname NOT IN ('pg_catalog', 'information_schema')"
                        + " AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";
        List<String> out = new ArrayList<>();
        out.addAll(strings(ds, "SELECT 'schema ' || nspname FROM pg_namespace ORDER BY 1"));
        out.addAll(
                strings(
                        ds,
                        "SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind='"
                                + " || c.relkind::text || ' file=' || c.relfilenode FROM pg_class c"
                                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE"
                                + userNs
                                + " ORDER BY 1"));
        out.addAll(
                strings(
                        ds,
                        "SELECT 'column ' || c.oid::regclass::text || '.' || a.attname || ' '"
                                + " || format_type(a.atttypid, a.atttypmod) || ' notnull='"
                                + " || a.attnotnull || ' dropped=' || a.attisdropped"
                                + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                                + " WHERE a.attnum > 0 AND"
                                + userNs
                                + " ORDER BY 1"));
        out.addAll(
                strings(
                        ds,
                        "SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' '"
                                + " || pg_get_constraintdef(co.oid) FROM pg_constraint co"
                                + " JOIN pg_namespace n ON n.oid = co.connamespace WHERE"
                                + userNs
                                + " ORDER BY 1"));
        out.addAll(
                strings(
                        ds,
                        "SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger"
                                + " WHERE NOT tgisinternal ORDER BY 1"));
        out.addAll(
                strings(
                        ds,
                        "SELECT 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc)"
                                + " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                                + " WHERE"
                                + userNs
                                + " ORDER BY 1"));
        if (!strings(ds, "SELECT to_regclass('backfill.reorgs')::text").contains(null)) {
            out.addAll(
                    strings(
                            ds,
                            "SELECT 'reorg ' || row_to_json(r)::text FROM backfill.reorgs r"
                                    + " ORDER BY id"));
            out.addAll(
                    strings(
                            ds,
                            "SELECT 'split ' || row_to_json(p)::text FROM backfill.progress p"
                                    + " ORDER BY reorg_id, split_id"));
        }
        out.addAll(
                strings(
                        ds,
                        "SELECT 'data ' || count(*) || ' ' || md5(string_agg(t::text, ','"
                                + " ORDER BY id)) FROM shop.items t"));
        return out;
    }

    @Test
    void planChangesNothingNeitherWithoutACatalogNorWithOne() throws Exception {
        DataSource ds = items("sp_nothing");
        Path addIndex = file("add", addIndexYaml("sp_nothing", "sp-email", "email", null));
        Path modify = file("modify", modifyColumnYaml("sp_nothing", "sp-qty"));

        // A fresh database: no schema backfill, and plan must not create it.
        List<String> before = snapshot(ds);
        assertThat(before).noneMatch(s -> s.startsWith("schema backfill"));
        Result a = cli("plan", "--job", addIndex.toString());
        Result m = cli("plan", "--job", modify.toString());
        assertThat(a.code()).as(a.err()).isZero();
        assertThat(m.code()).as(m.err()).isZero();
        assertThat(snapshot(ds)).isEqualTo(before);

        // With a catalog that holds a finished reorg (rows in both tables), a trigger and an index
        // table on shop.items: still nothing changes, also for a plan of that same reorg.
        run(spec(addIndexYaml("sp_nothing", "sp-other", "note", null)));
        TestingReorgs.assertExactRun(ds, "sp-other", 25_000);
        List<String> withCatalog = snapshot(ds);
        assertThat(withCatalog)
                .anyMatch(s -> s.startsWith("reorg ") && s.contains("\"sp-other\""))
                .anyMatch(s -> s.startsWith("split "))
                .anyMatch(s -> s.startsWith("trigger "));
        assertThat(cli("plan", "--job", addIndex.toString()).code()).isZero();
        assertThat(cli("plan", "--job", modify.toString()).code()).isZero();
        Result again =
                cli(
                        "plan",
                        "--job",
                        file("other", addIndexYaml("sp_nothing", "sp-other", "note", null))
                                .toString());
        assertThat(again.code()).as(again.err()).isZero();
        assertThat(again.out()).contains("state public", "a run does nothing");
        assertThat(snapshot(ds)).isEqualTo(withCatalog);
    }

    @Test
    void planPrintsTheDdlTheTriggersAndTheSplitsThatARunThenCuts() throws Exception {
        DataSource ds = items("sp_plan");
        String yaml = addIndexYaml("sp_plan", "sp-plan-email", "email", null);
        Result r = cli("plan", "--job", file("plan", yaml).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out())
                .contains(
                        "plan: reorg sp-plan-email: add-index on shop.items (dry run: nothing is"
                                + " changed)",
                        "primary key (id bigint), 1 physical table, about 25,000 rows",
                        "schema backfill does not exist yet",
                        "-- DDL\nCREATE TABLE \"shop\".\"items_email\" (",
                        "CREATE INDEX ",
                        "-- trigger definitions",
                        "CREATE FUNCTION \"backfill\".",
                        " AFTER INSERT ON \"shop\".\"items\" FOR EACH ROW EXECUTE FUNCTION",
                        " BEFORE TRUNCATE ON \"shop\".\"items\"",
                        "plan: 3 splits of up to 10,000 rows (split-rows)",
                        "    shop.items:0  (-inf, 10000]\n",
                        "    shop.items:1  (10000, 20000]\n",
                        "    shop.items:2  (20000, 25000]  (last",
                        "plan: estimated rows: 25,000; estimated backfill time: 0:00:01 at an"
                                + " assumed 50,000 rows/s (2 readers x 25,000 rows/s)",
                        "plan: nothing was changed");
        assertThat(r.out()).doesNotContain("more splits");

        // The splits a run cuts are the ones plan showed.
        run(spec(yaml));
        TestingReorgs.assertExactRun(ds, "sp-plan-email", 25_000);
        assertThat(
                        strings(
                                ds,
                                "SELECT split_id || ' ' || coalesce(start_key, '-') || ' '"
                                        + " || end_key || ' ' || last FROM backfill.progress"
                                        + " ORDER BY split_index"))
                .containsExactly(
                        "shop.items:0 - [10000] false",
                        "shop.items:1 [10000] [20000] false",
                        "shop.items:2 [20000] [25000] true");

        // Many splits: the first and last three, and how many are left out.
        Result many =
                cli(
                        "plan",
                        "--job",
                        file(
                                        "many",
                                        addIndexYaml(
                                                "sp_plan",
                                                "sp-plan-qty",
                                                "qty",
                                                TUNING.replace("10000", "1000")))
                                .toString());
        assertThat(many.code()).as(many.err()).isZero();
        assertThat(many.out())
                .contains(
                        "plan: 25 splits of up to 1,000 rows",
                        "    shop.items:0  (-inf, 1000]\n",
                        "    shop.items:2  (2000, 3000]\n    ... 19 more splits ...\n"
                                + "    shop.items:22  (22000, 23000]\n",
                        // 25,000 rows cut exactly: the 25th split is not "last" (the splitter
                        // finds the table's end with one more, empty, cut).
                        "    shop.items:24  (24000, 25000]\n",
                        "reorg sp-plan-qty is not in backfill.reorgs; a run prepares it");
    }

    @Test
    void thePreviewCutsLikeTheSplitterOnACompositeTextKey() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "sp_composite",
                        "CREATE TABLE pairs (k text, n int, v int, PRIMARY KEY (k, n))",
                        "INSERT INTO pairs SELECT chr(97 + g % 5), g, g FROM"
                                + " generate_series(1, 1234) g");
        JobSpec spec =
                spec(
                        "reorg: sp-composite\ndatabase:\n  url: "
                                + TestingPostgres.get().jdbcUrl("sp_composite")
                                + "\n  user: postgres\ntable: pairs\nadd-index:\n  name: pairs_v\n"
                                + "  columns: [v]\ntuning:\n  parallelism: 2\n  split-rows: 100\n"
                                + "  checkpoint-interval: 1s\n");
        KeyRangeSplitter.Preview preview;
        try (Connection c = Connections.open(Connections.dataSource(spec.database(), "t"))) {
            c.setReadOnly(true);
            preview =
                    new KeyRangeSplitter(
                                    spec.reorgId(),
                                    ReorgSetup.resolve(c, spec).table(),
                                    spec.tuning().splitRows())
                            .preview(c, "public.pairs", 100, 0);
        }
        assertThat(preview.total).isEqualTo(13);
        run(spec);
        TestingReorgs.assertExactRun(ds, "sp-composite", 1234);
        List<String> cut = new ArrayList<>();
        for (Catalog.SplitProgress p : catalogSplits(ds, spec.reorgId())) {
            cut.add(p.split.splitId() + " " + p.split.start() + " " + p.split.end() + " " + p.last);
        }
        List<String> previewed = new ArrayList<>();
        for (KeyRangeSplitter.PreviewSplit p : preview.shown) {
            previewed.add(
                    p.split.splitId() + " " + p.split.start() + " " + p.split.end() + " " + p.last);
        }
        assertThat(previewed).isEqualTo(cut).hasSize(13);
    }

    private static List<Catalog.SplitProgress> catalogSplits(DataSource ds, String id)
            throws SQLException {
        try (Connection c = ds.getConnection()) {
            return Catalog.splits(c, id);
        }
    }

    @Test
    void planRefusesWhatARunWouldRefuseWithExitTwo() throws Exception {
        items("sp_bad");
        String yaml =
                addIndexYaml("sp_bad", "sp-bad", "email", null)
                        .replace("columns: [email]", "columns: [e_mail]");
        Result r = cli("plan", "--job", file("bad", yaml).toString());
        assertThat(r.code()).isEqualTo(BackfillCli.EXIT_BAD_INPUT);
        assertThat(r.err()).contains("bad.yaml", "e_mail");

        Result using =
                cli(
                        "plan",
                        "--job",
                        file(
                                        "using",
                                        modifyColumnYaml("sp_bad", "sp-using")
                                                .replace(
                                                        "type: bigint\n",
                                                        "type: bigint\n  using: \"qty || nope\"\n"))
                                .toString());
        assertThat(using.code()).isEqualTo(BackfillCli.EXIT_BAD_INPUT);
        assertThat(using.err()).contains("using.yaml", "qty || nope", "nope");
    }

    // ------------------------------------------------------------------ status

    @Test
    void statusShowsAFinishedReorgPublicAtFullProgressWithItsRowsAndFlinkJob() throws Exception {
        DataSource ds = items("sp_status");
        String yaml = addIndexYaml("sp_status", "sp-status-email", "email", null);
        JobID job = run(spec(yaml));
        assertThat(TestingReorgs.reorg(ds, "sp-status-email").flinkJobId)
                .isEqualTo(job.toHexString());

        Result r = cli("status", "--job", file("status", yaml).toString());
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[0])
                .startsWith("ID ")
                .contains(
                        "TABLE",
                        "OPERATION",
                        "STATE",
                        "PROGRESS",
                        "ROWS/S",
                        "ETA",
                        "SPLITS",
                        "REPAIRED")
                .endsWith("FLINK JOB");
        assertThat(lines[1])
                .startsWith("sp-status-email  shop.items  add-index  public  ")
                .contains("[####################] 100.0%", "25,000/25,000", "  3/3  ")
                .endsWith(job.toHexString());
        // The REPAIRED column: nothing was repaired.
        assertThat(lines[1].substring(lines[0].indexOf("REPAIRED"))).startsWith("0 ");
        assertThat(lines).hasSize(2);
        TestingReorgs.assertExactRun(ds, "sp-status-email", 25_000);

        // --watch of a settled reorg prints once and returns.
        Result watch = cli("status", "--watch", "--job", file("status", yaml).toString());
        assertThat(watch.code()).as(watch.err()).isZero();
        assertThat(watch.out()).contains("public", job.toHexString());
    }

    @Test
    void statusMakesARepairStandOutAndSaysItIsABugToReport() throws Exception {
        DataSource ds = items("sp_repaired");
        String yaml = addIndexYaml("sp_repaired", "sp-repaired-email", "email", null);
        run(spec(yaml));
        TestingReorgs.assertExactRun(ds, "sp-repaired-email", 25_000);
        // As a finalizer that repaired 1,234 entries leaves it.
        try (Connection c = ds.getConnection()) {
            Catalog.addRowsRepaired(c, "sp-repaired-email", 1_234);
        }
        Result r = cli("status", "--job", file("repaired", yaml).toString());
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[1].substring(lines[0].indexOf("REPAIRED"))).startsWith("1,234 ! ");
        assertThat(lines[2])
                .startsWith(
                        "sp-repaired-email: WARNING: verification found and repaired 1,234 rows")
                .contains("bug", "report it");
        assertThat(lines).hasSize(3);
    }

    @Test
    void statusAllListsEveryReorgWithItsLastError() throws Exception {
        DataSource ds = items("sp_all");
        String first = addIndexYaml("sp_all", "sp-all-email", "email", null);
        run(spec(first));
        TestingReorgs.assertExactRun(ds, "sp-all-email", 25_000);
        // A second reorg, prepared (write-only) and then failed, as a job would leave it.
        ReorgSetup.run(spec(modifyColumnYaml("sp_all", "sp-all-qty")));
        try (Connection c = ds.getConnection()) {
            assertThat(Catalog.fail(c, "sp-all-qty", "cannot convert column 'qty' of row 7"))
                    .isTrue();
        }
        Result r = cli("status", "--all", "--job", file("all", first).toString());
        assertThat(r.code()).as(r.err()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[1]).startsWith("sp-all-email ").contains(" public ", "100.0%");
        assertThat(lines[2])
                .startsWith("sp-all-qty ")
                .contains(" modify-column ", " failed ", "[--------------------]   0.0%")
                .contains("0/25,000")
                .endsWith("  -");
        assertThat(lines[3])
                .isEqualTo("sp-all-qty: last error: cannot convert column 'qty' of row 7");
        assertThat(lines).hasSize(4);

        // Without --all, only the spec's own reorg.
        Result one = cli("status", "--job", file("all", first).toString());
        assertThat(one.out()).contains("sp-all-email").doesNotContain("sp-all-qty");
    }

    @Test
    void statusOfAnUnknownReorgIsBadInputWithOrWithoutACatalog() throws Exception {
        DataSource ds = items("sp_unknown");
        Path f = file("unknown", addIndexYaml("sp_unknown", "sp-nope", "email", null));
        Result none = cli("status", "--job", f.toString());
        assertThat(none.code()).isEqualTo(BackfillCli.EXIT_BAD_INPUT);
        assertThat(none.err())
                .contains("unknown.yaml", "there is no reorg sp-nope in database ")
                .contains("no Backfill catalog (schema backfill)");
        assertThat(strings(ds, "SELECT to_regnamespace('backfill')::text")).containsOnlyNulls();
        Result all = cli("status", "--all", "--job", f.toString());
        assertThat(all.code()).isZero();
        assertThat(all.out()).contains("no reorgs in database ").contains("no schema backfill");

        try (Connection c = ds.getConnection()) {
            Catalog.ensureSchema(c);
        }
        Result empty = cli("status", "--job", f.toString());
        assertThat(empty.code()).isEqualTo(BackfillCli.EXIT_BAD_INPUT);
        assertThat(empty.err())
                .contains("there is no reorg sp-nope in backfill.reorgs of database");

        Result bad = cli("status", "--watch");
        assertThat(bad.code()).isEqualTo(BackfillCli.EXIT_BAD_INPUT);
        Result planAll = cli("plan", "--all", "--job", f.toString());
        assertThat(planAll.code()).isEqualTo(BackfillCli.EXIT_BAD_INPUT);
        assertThat(planAll.err()).contains("--all works only with status");
    }

    @Test
    void statusWatchFollowsARunningReorgUntilItIsPublic() throws Exception {
        DataSource ds = items("sp_watch");
        // Throttled to about 5 s, so that the watch sees it backfilling.
        String yaml =
                addIndexYaml(
                        "sp_watch",
                        "sp-watch-email",
                        "email",
                        TUNING + "  max-rows-per-second: 5000\n");
        JobSpec spec = spec(yaml);
        ReorgSetup.Outcome setup = ReorgSetup.run(spec);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(1000);
        BackfillPipeline.build(env, setup.plan);
        JobClient client = env.executeAsync(BackfillPipeline.jobName(setup.plan));
        TestingReorgs.await(
                "the enumerator records the job id",
                Duration.ofSeconds(60),
                () ->
                        client.getJobID()
                                .toHexString()
                                .equals(TestingReorgs.reorg(ds, spec.reorgId()).flinkJobId));

        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new Status(
                        new PrintStream(buf, true, StandardCharsets.UTF_8),
                        false,
                        Duration.ofMillis(300))
                .run(spec, false, true);
        client.getJobExecutionResult().get(2, TimeUnit.MINUTES);
        TestingReorgs.assertExactRun(ds, "sp-watch-email", 25_000);

        String out = buf.toString(StandardCharsets.UTF_8);
        String[] refreshes = out.split("\n\n");
        assertThat(refreshes.length).as(out).isGreaterThan(2);
        assertThat(refreshes[0]).startsWith("backfill status of ").contains("(every 300 ms;");
        assertThat(out).contains(" backfilling ", client.getJobID().toHexString());
        assertThat(refreshes[refreshes.length - 1])
                .contains(" public ", "[####################] 100.0%", "25,000/25,000");
        // While backfilling, a rate and an ETA from the catalog.
        assertThat(out)
                .containsPattern(
                        " backfilling .*\\] +\\d+\\.\\d% +[\\d,]+/25,000 +[\\d,]+ +0:0\\d:\\d\\d ");
    }

    @Test
    void aCatalogFromBeforeTheJobIdColumnIsReadAndUpgraded() throws Exception {
        DataSource ds = items("sp_upgrade");
        String yaml = addIndexYaml("sp_upgrade", "sp-upgrade", "email", null);
        ReorgSetup.run(spec(yaml));
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute("ALTER TABLE backfill.reorgs DROP COLUMN flink_job_id");
            st.execute("ALTER TABLE backfill.reorgs DROP COLUMN rows_repaired");
        }
        Result r = cli("status", "--job", file("upgrade", yaml).toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().split("\n")[1]).contains(" write-only ").endsWith("  -");
        // status does not upgrade the catalog (it only reads); a run's ensureSchema does.
        assertThat(
                        strings(
                                ds,
                                "SELECT count(*)::text FROM pg_attribute WHERE attrelid ="
                                        + " 'backfill.reorgs'::regclass AND attname = 'flink_job_id' AND NOT attisdropped"))
                .containsExactly("0");
        try (Connection c = ds.getConnection()) {
            Catalog.ensureSchema(c);
        }
        assertThat(TestingReorgs.reorg(ds, "sp-upgrade").flinkJobId).isNull();
        assertThat(
                        strings(
                                ds,
                                "SELECT rows_repaired || ' ' || format_type(a.atttypid, a.atttypmod)"
                                        + " || ' ' || a.attnotnull FROM backfill.reorgs,"
                                        + " pg_attribute a WHERE a.attrelid = 'backfill.reorgs'::regclass"
                                        + " AND a.attname = 'rows_repaired'"))
                .containsExactly("0 bigint true");
        JobID job = run(spec(yaml));
        assertThat(TestingReorgs.reorg(ds, "sp-upgrade").flinkJobId).isEqualTo(job.toHexString());
        TestingReorgs.assertExactRun(ds, "sp-upgrade", 25_000);
    }
}
