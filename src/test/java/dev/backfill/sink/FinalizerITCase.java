package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.job.JobSpec;
import dev.backfill.job.ReorgSetup;
import dev.backfill.job.TestingReorgs;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The finalizer's verification and its outcome in the catalog, on a real PostgreSQL. */
class FinalizerITCase {

    @Test
    void aCompleteIndexIsVerifiedAndPublished() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "finalizer_ok",
                        "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                        "INSERT INTO t SELECT n, CASE WHEN n % 3 = 0 THEN NULL ELSE 'v' || n END FROM generate_series(1, 50) n");
        JobSpec spec = TestingReorgs.addIndexSpec("finalizer_ok", "t", "t_v", "v", false, null);
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        exec(ds, "INSERT INTO t_v SELECT v, id FROM t");

        Verifier.Result result = Finalizer.finish(out.plan);

        assertThat(result.ok()).isTrue();
        assertThat(result.rows).isEqualTo(50);
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsDone).isEqualTo(50);
        assertThat(r.finishedAt).isNotNull();
        // Running it again (a restored finalizer) leaves a public reorg alone.
        assertThat(Finalizer.finish(out.plan)).isNull();
    }

    @Test
    void missingWrongAndDanglingEntriesFailTheReorgWithCountsAndFirstKeys() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "finalizer_bad",
                        "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                        "INSERT INTO t SELECT n, 'v' || n FROM generate_series(1, 20) n");
        JobSpec spec = TestingReorgs.addIndexSpec("finalizer_bad", "t", "t_v", "v", false, null);
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        // Entries for rows 1..20 except 3 and 7 (missing), a wrong value for 5, and two entries
        // without a row (dangling); written with the triggers off, as a bug would leave them.
        exec(
                ds,
                "SET session_replication_role = replica",
                "INSERT INTO t_v SELECT v, id FROM t WHERE id NOT IN (3, 7)",
                "UPDATE t_v SET v = 'wrong' WHERE id = 5",
                "INSERT INTO t_v VALUES ('ghost', 100), ('ghost2', 101)");

        assertThatThrownBy(() -> Finalizer.finish(out.plan))
                .isInstanceOf(ReorgFailedException.class)
                .hasMessageContaining("3 rows without a correct entry (first keys: 3, 5, 7)")
                .hasMessageContaining("3 entries without their row (first keys: 5, 100, 101)");

        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error)
                .isEqualTo(
                        "verification failed: 3 rows without a correct entry (first keys: 3, 5, 7),"
                                + " 3 entries without their row (first keys: 5, 100, 101)");
        assertThat(r.finishedAt).isNull();
    }

    @Test
    void onlyTheFirstFiveKeysAreNamed() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "finalizer_many",
                        "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                        "INSERT INTO t SELECT n, 'v' || n FROM generate_series(1, 12) n");
        JobSpec spec = TestingReorgs.addIndexSpec("finalizer_many", "t", "t_v", "v", false, null);
        ReorgSetup.Outcome out = ReorgSetup.run(spec);

        assertThatThrownBy(() -> Finalizer.finish(out.plan))
                .isInstanceOf(ReorgFailedException.class);

        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).error)
                .isEqualTo(
                        "verification failed: 12 rows without a correct entry (first keys: 1, 2, 3, 4, 5),"
                                + " 0 entries without their row");
    }

    private static void exec(DataSource ds, String... sql) throws Exception {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }
}
