package dev.backfill.job;

import dev.backfill.db.Catalog;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.except;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** add-index end to end on a real PostgreSQL and a real MiniCluster. */
class AddIndexITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    @Test
    void buildsAnExactIndexOverSparseKeysWithNulls() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "add_index_sparse",
                        "CREATE SCHEMA shop",
                        "CREATE TABLE shop.orders (id bigint PRIMARY KEY, email text, amount int)",
                        // 100k rows: sparse keys, negatives, a key near Long.MAX_VALUE, NULL
                        // emails.
                        "INSERT INTO shop.orders SELECT n * 7919 - 300000000, CASE WHEN n % 10 = 0 THEN NULL ELSE 'user' || n || '@example.com' END, n FROM generate_series(1, 99998) n",
                        "INSERT INTO shop.orders VALUES (9223372036854775806, 'max@example.com', 1), (-9223372036854775807, NULL, 2)");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "add_index_sparse", "shop.orders", "orders_email", "email", true, null);

        ReorgSetup.Outcome out = TestingReorgs.run(spec);

        assertThat(out.status).isEqualTo(ReorgSetup.Status.PREPARED);
        assertThat(
                        except(
                                ds,
                                "SELECT email, id FROM shop.orders",
                                "SELECT email, id FROM shop.orders_email"))
                .isZero();
        assertThat(
                        except(
                                ds,
                                "SELECT email, id FROM shop.orders_email",
                                "SELECT email, id FROM shop.orders"))
                .isZero();
        assertThat(count(ds, "SELECT count(*) FROM shop.orders_email")).isEqualTo(100_000);
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsDone).isEqualTo(100_000);
        assertThat(r.finishedAt).isNotNull();
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 100_000);
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM backfill.progress WHERE reorg_id = '"
                                        + spec.reorgId()
                                        + "' AND NOT done"))
                .isZero();
        assertThat(
                        count(
                                ds,
                                "SELECT sum(rows_scanned) FROM backfill.progress WHERE reorg_id = '"
                                        + spec.reorgId()
                                        + "'"))
                .isEqualTo(100_000);
        // The triggers keep the index exact after the reorg, too.
        try (var c = ds.getConnection();
                var st = c.createStatement()) {
            st.execute(
                    "UPDATE shop.orders SET email = 'changed@example.com' WHERE id = 9223372036854775806");
            st.execute("DELETE FROM shop.orders WHERE id = -9223372036854775807");
            st.execute("UPDATE shop.orders SET id = 5 WHERE id = " + (7919 - 300000000));
        }
        assertThat(
                        except(
                                ds,
                                "SELECT email, id FROM shop.orders",
                                "SELECT email, id FROM shop.orders_email"))
                .isZero();
        assertThat(
                        except(
                                ds,
                                "SELECT email, id FROM shop.orders_email",
                                "SELECT email, id FROM shop.orders"))
                .isZero();
    }

    @Test
    void synchronousCommitTrueBuildsTheSameExactIndex() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "add_index_sync_commit",
                        "CREATE TABLE t (id bigint PRIMARY KEY, v text)",
                        "INSERT INTO t SELECT n, 'v' || (n % 7000) FROM generate_series(1, 20000) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "add_index_sync_commit",
                        "t",
                        "t_v",
                        "v",
                        false,
                        "  parallelism: 2\n  batch-size: 500\n  split-rows: 5000\n"
                                + "  checkpoint-interval: 1s\n  synchronous-commit: true\n");
        assertThat(spec.tuning().synchronousCommit()).isTrue();

        TestingReorgs.run(spec);

        assertThat(except(ds, "SELECT v, id FROM t", "SELECT v, id FROM t_v")).isZero();
        assertThat(except(ds, "SELECT v, id FROM t_v", "SELECT v, id FROM t")).isZero();
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 20_000);
    }

    @Test
    void buildsAGlobalIndexOverAPartitionedTableWithACompositeTextKey() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "add_index_partitioned",
                        "CREATE TABLE p (region text, id bigint, email text, PRIMARY KEY (region, id)) PARTITION BY LIST (region)",
                        "CREATE TABLE p_eu PARTITION OF p FOR VALUES IN ('eu')",
                        "CREATE TABLE p_us PARTITION OF p FOR VALUES IN ('us')",
                        "CREATE TABLE p_other PARTITION OF p DEFAULT",
                        "INSERT INTO p SELECT (ARRAY['eu', 'us', 'ap', 'sa'])[1 + n % 4], n, CASE WHEN n % 7 = 0 THEN NULL ELSE 'u' || n END FROM generate_series(1, 30000) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "add_index_partitioned",
                        "p",
                        "p_email",
                        "email",
                        true,
                        "  parallelism: 3\n  batch-size: 700\n  split-rows: 4000\n  checkpoint-interval: 1s\n");

        TestingReorgs.run(spec);

        assertThat(
                        except(
                                ds,
                                "SELECT email, region, id FROM p",
                                "SELECT email, region, id FROM p_email"))
                .isZero();
        assertThat(
                        except(
                                ds,
                                "SELECT email, region, id FROM p_email",
                                "SELECT email, region, id FROM p"))
                .isZero();
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsDone).isEqualTo(30_000);
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 30_000);
        // Every partition was split on its own: split ids are <partition>:<n>.
        assertThat(
                        TestingReorgs.strings(
                                ds,
                                "SELECT DISTINCT physical_table FROM backfill.progress ORDER BY 1"))
                .containsExactly("public.p_eu", "public.p_other", "public.p_us");
        // The unique index is global: a duplicate across partitions is refused.
        assertThatThrownBy(
                        () -> {
                            try (var c = ds.getConnection();
                                    var st = c.createStatement()) {
                                st.execute("INSERT INTO p VALUES ('us', 999999, 'u1')");
                            }
                        })
                .hasMessageContaining("p_email_unique");
    }

    @Test
    void duplicateValueFailsTheReorgWithTheExactError() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "add_index_dup",
                        "CREATE TABLE t (id int PRIMARY KEY, email text)",
                        "INSERT INTO t SELECT n, 'u' || n FROM generate_series(1, 5000) n",
                        "UPDATE t SET email = 'dup@example.com' WHERE id IN (1234, 4321)");
        String before =
                TestingReorgs.strings(
                                ds,
                                "SELECT md5(string_agg(id || ':' || coalesce(email, '~'), ',' ORDER BY id)) FROM t")
                        .get(0);
        JobSpec spec =
                TestingReorgs.addIndexSpec("add_index_dup", "t", "t_email", "email", true, null);

        assertThatThrownBy(() -> TestingReorgs.run(spec))
                .hasStackTraceContaining("duplicate entry 'dup@example.com' for key 't_email'");

        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error)
                .matches(
                        "duplicate entry 'dup@example.com' for key 't_email' \\(rows (1234 and 4321|4321 and 1234)\\)");
        String after =
                TestingReorgs.strings(
                                ds,
                                "SELECT md5(string_agg(id || ':' || coalesce(email, '~'), ',' ORDER BY id)) FROM t")
                        .get(0);
        assertThat(after).isEqualTo(before);
    }

    @Test
    void emptyTableGoesStraightToPublicAndARerunIsANoOp() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "add_index_empty", "CREATE TABLE e (id bigint PRIMARY KEY, v text)");
        JobSpec spec = TestingReorgs.addIndexSpec("add_index_empty", "e", "e_v", "v", false, null);

        TestingReorgs.run(spec);

        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.PUBLIC);
        assertThat(r.rowsDone).isZero();
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 0);
        assertThat(count(ds, "SELECT count(*) FROM backfill.progress")).isZero();

        ReorgSetup.Outcome again = TestingReorgs.run(spec);
        assertThat(again.status).isEqualTo(ReorgSetup.Status.ALREADY_PUBLIC);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).updatedAt).isEqualTo(r.updatedAt);
    }

    @Test
    void tableWithoutPrimaryKeyFailsBeforeAnyDdl() throws Exception {
        DataSource ds =
                TestingReorgs.database("add_index_nopk", "CREATE TABLE nopk (id bigint, v text)");
        JobSpec spec =
                TestingReorgs.addIndexSpec("add_index_nopk", "nopk", "nopk_v", "v", false, null);

        assertThatThrownBy(() -> TestingReorgs.run(spec))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessage(
                        "table public.nopk has no primary key; Backfill needs one to split and resume the scan (other unique keys are not supported yet)");

        assertThat(count(ds, "SELECT count(*) FROM pg_class WHERE relname = 'nopk_v'")).isZero();
        assertThat(count(ds, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'nopk'::regclass"))
                .isZero();
        assertThat(count(ds, "SELECT count(*) FROM backfill.reorgs")).isZero();
    }
}
