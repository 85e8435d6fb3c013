package dev.backfill.cli;

import dev.backfill.cli.TestingCli.Result;
import dev.backfill.db.Catalog;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.BackfillOptions;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.sink.LogCapture;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import javax.sql.DataSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BackfillOptions} through the command line on the real PostgreSQL and the MiniCluster (the
 * path of {@code flink run}: no {@code --local}): {@code -Dbackfill.tuning.*} options override the
 * spec's tuning of a prepared reorg when it resumes (the split size the enumerator cuts, the knobs
 * recorded in the catalog), with a line naming them; a bad or unknown option is refused with exit 2
 * and a message naming the key and the value, before any DDL.
 */
class BackfillOptionsITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final int ROWS = 10_000;

    @TempDir Path dir;

    /** A database with {@code t (id, v)} of {@link #ROWS} rows. */
    private static DataSource database(String db) throws SQLException {
        return TestingReorgs.database(
                db,
                "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                "INSERT INTO t SELECT n, 'v' || n % 97 FROM generate_series(1, " + ROWS + ") n",
                "ANALYZE t");
    }

    /** An add-index spec on {@code t (v)}: batches of 500, one split of 10000 rows. */
    private static String yaml(String db) {
        return "reorg: "
                + db
                + "\ndatabase:\n  url: "
                + TestingPostgres.get().jdbcUrl(db)
                + "\n  user: postgres\ntable: t\nadd-index:\n  name: t_v\n  columns: [v]\n"
                + "tuning:\n  parallelism: 2\n  batch-size: 500\n  split-rows: 10000\n"
                + "  checkpoint-interval: 1s\n";
    }

    private Path file(String db) throws Exception {
        Path p = dir.resolve(db + ".yaml");
        Files.writeString(p, yaml(db));
        return p;
    }

    private static Result cli(String... argv) {
        return TestingCli.run(argv);
    }

    @Test
    void optionsOverrideTheSpecsTuningWhenAPreparedReorgResumes() throws Exception {
        String db = "opt_it_override";
        DataSource ds = database(db);
        Path job = file(db);
        JobSpec spec = JobSpecParser.parse(yaml(db), "spec.yaml", Map.of());
        // Prepared with the spec's tuning: the catalog records its knobs.
        assertThat(ReorgSetup.run(spec).status).isEqualTo(ReorgSetup.Status.PREPARED);
        assertThat(knobs(ds, db)).containsExactly("500", "2");

        Result r;
        try (LogCapture log = LogCapture.attach(BackfillOptions.class)) {
            r =
                    cli(
                            "--job",
                            job.toString(),
                            "-Dbackfill.tuning.batch-size=123",
                            "-D",
                            "backfill.tuning.split-rows=1000",
                            "-Dbackfill.tuning.throttle.max-latency-ratio=3.5");
            String overridden =
                    "backfill.tuning.batch-size=123 (spec: 500),"
                            + " backfill.tuning.split-rows=1000 (spec: 10000),"
                            + " backfill.tuning.throttle.max-latency-ratio=3.5 (spec: 2.0)";
            assertThat(r.out())
                    .contains("backfill: tuning from the Flink configuration: " + overridden)
                    .contains("resuming reorg " + db)
                    .contains("is public");
            assertThat(log.messages(Level.INFO))
                    .containsExactly(
                            "Reorg " + db + ": tuning from the Flink configuration: " + overridden);
        }
        assertThat(r.code()).isEqualTo(BackfillCli.EXIT_OK);

        // The resumed run recorded the overridden knobs and cut splits of the overridden size.
        assertThat(knobs(ds, db)).containsExactly("123", "3.5");
        assertThat(
                        strings(
                                ds,
                                "SELECT rows_scanned FROM backfill.progress WHERE reorg_id = '"
                                        + db
                                        + "' ORDER BY split_index"))
                .as("rows scanned per split, with split-rows 1000 from the configuration")
                .hasSize(10)
                .containsOnly("1000");
        Catalog.Reorg reorg = TestingReorgs.reorg(ds, db);
        assertThat(reorg.state).isEqualTo(Catalog.State.PUBLIC);
        TestingReorgs.assertExactRun(ds, db, ROWS);
        assertThat(TestingReorgs.except(ds, "SELECT v, id FROM t", "SELECT v, id FROM t_v"))
                .isZero();
        assertThat(TestingReorgs.except(ds, "SELECT v, id FROM t_v", "SELECT v, id FROM t"))
                .isZero();
    }

    @Test
    void aBadOrUnknownOptionIsRefusedNamingTheKeyAndValueBeforeAnyDdl() throws Exception {
        String db = "opt_it_bad";
        DataSource ds = database(db);
        String job = file(db).toString();

        assertRefused(
                cli("--job", job, "-Dbackfill.tuning.batch-size=abc"),
                "backfill: Flink configuration: backfill.tuning.batch-size: expected a whole"
                        + " number from 1 to 100000, got \"abc\"");
        assertRefused(
                cli("--job", job, "-Dbackfill.tuning.lock-timeout=0ms"),
                "backfill: Flink configuration: backfill.tuning.lock-timeout: must be at least"
                        + " 1ms, got 0ms");
        assertRefused(
                cli("--job", job, "-Dbackfill.tuning.batchsize=10"),
                "backfill: Flink configuration: backfill.tuning.batchsize: unknown option; the"
                        + " tuning options are "
                        + String.join(", ", optionKeys()));
        assertRefused(
                cli("--job", job, "-Dstate.backend.type=hashmap"),
                "backfill: -Dstate.backend.type: after the jar only backfill.tuning.* options"
                        + " apply; give Flink options to flink run, before the jar");
        assertRefused(
                cli("--job", job, "-Dbackfill.tuning.batch-size"),
                "backfill: -Dbackfill.tuning.batch-size: expected -Dkey=value, like"
                        + " -Dbackfill.tuning.batch-size=2000");

        // Nothing was created: no catalog, no index table, no trigger.
        assertThat(count(ds, "SELECT count(*) FROM pg_namespace WHERE nspname = 'backfill'"))
                .isZero();
        assertThat(count(ds, "SELECT count(*) FROM pg_class WHERE relname LIKE 't\\_v%'")).isZero();
        assertThat(count(ds, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 't'::regclass"))
                .isZero();
    }

    private static void assertRefused(Result r, String message) {
        assertThat(r.code()).as(r.err()).isEqualTo(BackfillCli.EXIT_BAD_INPUT);
        assertThat(r.err()).isEqualTo(message + System.lineSeparator());
        assertThat(r.out()).isEmpty();
    }

    private static List<String> optionKeys() {
        return BackfillOptions.options().stream().map(o -> o.key()).toList();
    }

    /** The catalog's batch_size and throttle_max_latency_ratio of reorg {@code id}. */
    private static List<String> knobs(DataSource ds, String id) throws SQLException {
        return strings(
                ds,
                "SELECT unnest(ARRAY[batch_size::text, throttle_max_latency_ratio::text])"
                        + " FROM backfill.reorgs WHERE id = '"
                        + id
                        + "'");
    }
}
