package dev.backfill.cli;

import dev.backfill.db.Catalog;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;
import dev.backfill.op.modifycolumn.ShadowColumn;
import dev.backfill.op.modifycolumn.TriggerOrder;
import dev.backfill.reorg.Abort;
import dev.backfill.reorg.Finalizer;
import dev.backfill.reorg.ReorgSetup;

import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import javax.sql.DataSource;

import java.io.OutputStream;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.backfill.cli.StateRaceITCase.assertCutOver;
import static dev.backfill.cli.StateRaceITCase.awaitBlockedBy;
import static dev.backfill.cli.StateRaceITCase.columns;
import static dev.backfill.cli.StateRaceITCase.exec;
import static dev.backfill.cli.StateRaceITCase.modifyColumnSpec;
import static dev.backfill.cli.StateRaceITCase.prepareReady;
import static dev.backfill.cli.StateRaceITCase.triggers;
import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue #9, defects 6 and 7, on the real PostgreSQL: the cut-over checks again, under its lock,
 * what was checked before {@code ready} (objects depending on the old column, BEFORE triggers that
 * fire after the shadow trigger) and refuses naming the blocker; the shadow trigger fires after the
 * application's BEFORE triggers, and prepare refuses a table whose BEFORE trigger it cannot fire
 * after; a reorg prepared with the trigger's old name can still be cut over and aborted.
 */
class CutoverRecheckITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    // ------------------------------------------------------------------ defect 6: dependents

    /**
     * A view (or CHECK constraint, policy, column trigger) created on the old column after {@code
     * ready} would stay bound to {@code _backfill_old_v}: the cut-over refuses naming it, changes
     * nothing and keeps {@code ready}; once it is dropped, the cut-over succeeds.
     */
    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "view|CREATE VIEW t0_view AS SELECT id, v FROM t0|DROP VIEW t0_view|view public.t0_view",
                "check|ALTER TABLE t0 ADD CONSTRAINT t0_v_pos CHECK (v > 0)"
                        + "|ALTER TABLE t0 DROP CONSTRAINT t0_v_pos|check constraint t0_v_pos",
                "policy|CREATE POLICY t0_pol ON t0 USING (v > 0)|DROP POLICY t0_pol ON t0"
                        + "|policy t0_pol",
                "trigger|CREATE TRIGGER t0_audit BEFORE UPDATE OF v ON t0 FOR EACH ROW"
                        + " EXECUTE FUNCTION suppress_redundant_updates_trigger()"
                        + "|DROP TRIGGER t0_audit ON t0|trigger t0_audit"
            })
    void anObjectCreatedOnTheOldColumnAfterReadyBlocksTheCutoverWhichNamesIt(
            String kind, String create, String drop, String named) throws Exception {
        String db = "recheck_dep_" + kind;
        DataSource ds = TestingReorgs.database(db);
        JobSpec spec = modifyColumnSpec(db, "t0", "5s");
        prepareReady(ds, spec, "t0");
        String trigger = shadow(ds, spec).trigger();
        exec(ds, create);

        assertThatThrownBy(() -> ColumnCommands.cutover(spec))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessageContaining("cut-over of reorg " + spec.reorgId() + " refused")
                .hasMessageContaining(named)
                .hasMessageContaining("Nothing was changed")
                .hasMessageContaining("stays ready");
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.READY);
        assertThat(columns(ds, "t0"))
                .containsExactly("_backfill_new_v bigint", "id bigint", "v integer");
        assertThat(triggers(ds, "t0")).contains(trigger);

        exec(ds, drop);
        assertThat(ColumnCommands.cutover(spec)).isEqualTo(ColumnCommands.Outcome.DONE);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.PUBLIC);
        assertCutOver(ds, "t0");
    }

    /**
     * The window the check before {@code ready} leaves open: a session that holds the table creates
     * a view on the column while the cut-over waits for its lock. The cut-over checks under the
     * lock, so it sees the view and refuses.
     */
    @Test
    void aViewCreatedWhileTheCutoverWaitsForItsLockIsSeenUnderTheLock() throws Exception {
        DataSource ds = TestingReorgs.database("recheck_window");
        JobSpec spec = modifyColumnSpec("recheck_window", "t0", "60s");
        prepareReady(ds, spec, "t0");
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (Connection holder = ds.getConnection()) {
            holder.setAutoCommit(false);
            StateRaceITCase.single(holder, "SELECT count(*) FROM t0");
            Future<ColumnCommands.Outcome> cutover =
                    pool.submit(() -> ColumnCommands.cutover(spec));
            awaitBlockedBy(ds, StateRaceITCase.pid(holder), "the cut-over waits for the table");
            try (Statement st = holder.createStatement()) {
                st.execute("CREATE VIEW t0_view AS SELECT id, v FROM t0");
            }
            holder.commit();

            assertThatThrownBy(() -> cutover.get(60, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause()
                    .isInstanceOf(TableInfo.TableException.class)
                    .hasMessageContaining("view public.t0_view");
        } finally {
            pool.shutdownNow();
        }
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.READY);
        assertThat(columns(ds, "t0"))
                .containsExactly("_backfill_new_v bigint", "id bigint", "v integer");
    }

    // ------------------------------------------------------------------ defect 7: trigger order

    /**
     * An application BEFORE trigger that upper-cases the column, named {@code zz_normalize} (after
     * the old {@code zz_backfill_...} name, before {@code ~backfill_...}): it fires before the
     * shadow trigger, so the shadow holds the final value of every row written after prepare, and
     * the cut-over gives the upper-cased values.
     */
    @Test
    void anApplicationBeforeTriggerThatRewritesTheColumnFiresBeforeTheShadowTrigger()
            throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "recheck_order",
                        "CREATE TABLE t (id bigint PRIMARY KEY, code text NOT NULL)",
                        "CREATE FUNCTION app_normalize() RETURNS trigger LANGUAGE plpgsql AS"
                                + " $$BEGIN NEW.code := upper(NEW.code); RETURN NEW; END$$",
                        "CREATE TRIGGER zz_normalize BEFORE INSERT OR UPDATE ON t"
                                + " FOR EACH ROW EXECUTE FUNCTION app_normalize()",
                        "INSERT INTO t SELECT n, 'c' || n FROM generate_series(1, 10) n");
        JobSpec spec =
                spec(
                        "recheck_order",
                        "t",
                        "  column: code\n  type: varchar(40)\n  cutover: manual\n");
        ReorgSetup.Outcome out = ReorgSetup.run(spec);
        assertThat(triggers(ds, "t"))
                .containsExactly("zz_normalize", TestingReorgs.shadow(out.plan).trigger());

        // Written after prepare: inserts, and updates that set a lower-case value.
        exec(
                ds,
                "INSERT INTO t SELECT n, 'new' || n FROM generate_series(11, 20) n",
                "UPDATE t SET code = 'upd' || id WHERE id % 2 = 0");
        assertThat(count(ds, "SELECT count(*) FROM t WHERE code <> upper(code)")).isZero();
        String written = "SELECT * FROM t WHERE id > 10 OR id % 2 = 0";
        assertThat(count(ds, "SELECT count(*) FROM (" + written + ") w")).isEqualTo(15);
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM ("
                                        + written
                                        + ") w WHERE _backfill_new_code::text IS DISTINCT FROM"
                                        + " code"))
                .as("rows written after prepare whose shadow is not the value the trigger left")
                .isZero();

        // The backfill of the other rows, by their own trigger; then verify and cut over.
        exec(ds, "UPDATE t SET code = code WHERE id <= 10 AND id % 2 = 1");
        Finalizer.finish(out.plan);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.READY);
        assertThat(ColumnCommands.cutover(spec)).isEqualTo(ColumnCommands.Outcome.DONE);
        assertThat(
                        strings(
                                ds,
                                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                                        + " WHERE attrelid = 't'::regclass AND attname = 'code'"))
                .containsExactly("character varying(40)");
        assertThat(count(ds, "SELECT count(*) FROM t WHERE code = upper(code)")).isEqualTo(20);
    }

    /**
     * A BEFORE row trigger whose name sorts after {@code ~backfill_...} (a later {@code ~} name, or
     * a non-ASCII one) would fire after the shadow trigger: prepare refuses, naming it and what to
     * do, and leaves nothing behind.
     */
    @ParameterizedTest
    @ValueSource(strings = {"~~late", "été_audit"})
    void prepareRefusesABeforeTriggerThatWouldFireAfterTheShadowTrigger(String name)
            throws Exception {
        String db = name.startsWith("~") ? "recheck_prep_tilde" : "recheck_prep_utf8";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE t (id bigint PRIMARY KEY, v integer NOT NULL)",
                        "CREATE FUNCTION plus() RETURNS trigger LANGUAGE plpgsql AS"
                                + " $$BEGIN NEW.v := NEW.v + 1; RETURN NEW; END$$",
                        "CREATE TRIGGER \""
                                + name
                                + "\" BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION plus()",
                        // Not refused: an AFTER trigger and a BEFORE DELETE trigger, whatever
                        // their names, cannot change the new row.
                        "CREATE TRIGGER \"~~~after\" AFTER INSERT OR UPDATE ON t"
                                + " FOR EACH ROW EXECUTE FUNCTION plus()",
                        "CREATE TRIGGER \"~~~delete\" BEFORE DELETE ON t"
                                + " FOR EACH ROW EXECUTE FUNCTION plus()");
        JobSpec spec = spec(db, "t", "  column: v\n  type: bigint\n  cutover: manual\n");

        // The dry run refuses it the same way.
        assertThatThrownBy(
                        () ->
                                new Plan(new java.io.PrintStream(OutputStream.nullOutputStream()))
                                        .run(spec))
                .isInstanceOf(TriggerOrder.LaterTriggerException.class)
                .hasMessageContaining("plan of reorg " + db + " refused")
                .hasMessageContaining("BEFORE row trigger \"" + name + "\" on t ");
        assertThatThrownBy(() -> ReorgSetup.run(spec))
                .isInstanceOf(TriggerOrder.LaterTriggerException.class)
                .hasMessageContaining("modify-column prepare of reorg " + db + " refused")
                .hasMessageContaining("BEFORE row trigger \"" + name + "\" on t ")
                .hasMessageContaining("rename it")
                .hasMessageNotContaining("~~~after")
                .hasMessageNotContaining("~~~delete");
        assertThat(columns(ds, "t")).containsExactly("id bigint", "v integer");
        assertThat(count(ds, "SELECT count(*) FROM backfill.reorgs")).isZero();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM pg_proc WHERE pronamespace ="
                                        + " 'backfill'::regnamespace"))
                .isZero();
    }

    /**
     * A BEFORE trigger that fires after the shadow trigger, created after {@code ready}: rows
     * written meanwhile get a stale shadow value that the verification before ready did not see.
     * The cut-over refuses naming it, changes nothing and fails the reorg; after the trigger is
     * dropped, running the job again backfills and verifies the column again (fixing the stale
     * row), and the cut-over then succeeds.
     */
    @Test
    void aLateTriggerCreatedAfterReadyFailsTheCutoverAndARerunVerifiesAgain() throws Exception {
        DataSource ds = TestingReorgs.database("recheck_late");
        JobSpec spec = modifyColumnSpec("recheck_late", "t0", "5s");
        prepareReady(ds, spec, "t0");
        exec(
                ds,
                "CREATE FUNCTION plus() RETURNS trigger LANGUAGE plpgsql AS"
                        + " $$BEGIN NEW.v := NEW.v + 1000; RETURN NEW; END$$",
                "CREATE TRIGGER \"~~late\" BEFORE INSERT OR UPDATE ON t0"
                        + " FOR EACH ROW EXECUTE FUNCTION plus()",
                "INSERT INTO t0 VALUES (100, 700)");
        assertThat(strings(ds, "SELECT v || ' ' || _backfill_new_v FROM t0 WHERE id = 100"))
                .as("the late trigger fired after the shadow was computed")
                .containsExactly("1700 700");

        assertThatThrownBy(() -> ColumnCommands.cutover(spec))
                .isInstanceOf(TriggerOrder.LaterTriggerException.class)
                .hasMessageContaining("cut-over of reorg " + spec.reorgId() + " refused")
                .hasMessageContaining("BEFORE row trigger \"~~late\" on t0 ")
                .hasMessageContaining("run the job again");
        Catalog.Reorg r = TestingReorgs.reorg(ds, spec.reorgId());
        assertThat(r.state).isEqualTo(Catalog.State.FAILED);
        assertThat(r.error).contains("\"~~late\"");
        assertThat(columns(ds, "t0"))
                .containsExactly("_backfill_new_v bigint", "id bigint", "v integer");

        exec(ds, "DROP TRIGGER \"~~late\" ON t0");
        assertThat(TestingReorgs.run(spec).status).isEqualTo(ReorgSetup.Status.RESUMING);
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state).isEqualTo(Catalog.State.READY);
        assertThat(ColumnCommands.cutover(spec)).isEqualTo(ColumnCommands.Outcome.DONE);
        assertThat(strings(ds, "SELECT v::text FROM t0 WHERE id = 100")).containsExactly("1700");
        assertCutOver(ds, "t0");
    }

    // ------------------------------------------------------------------ the old trigger name

    /** Reorgs prepared before the rename (trigger {@code zz_backfill_..._shadow}). */
    @Test
    void aReorgPreparedWithTheLegacyTriggerNameCanBeCutOverAndAborted() throws Exception {
        DataSource ds = TestingReorgs.database("recheck_legacy");
        JobSpec cut = modifyColumnSpec("recheck_legacy", "t0", "5s");
        JobSpec abort = modifyColumnSpec("recheck_legacy", "t1", "5s");
        for (JobSpec spec : new JobSpec[] {cut, abort}) {
            prepareReady(ds, spec, spec.table());
            ShadowColumn sc = shadow(ds, spec);
            exec(
                    ds,
                    "ALTER TRIGGER \""
                            + sc.trigger()
                            + "\" ON "
                            + spec.table()
                            + " RENAME TO \""
                            + sc.legacyTrigger()
                            + "\"");
            assertThat(triggers(ds, spec.table())).containsExactly(sc.legacyTrigger());
        }

        assertThat(ColumnCommands.cutover(cut)).isEqualTo(ColumnCommands.Outcome.DONE);
        assertCutOver(ds, "t0");

        assertThat(Abort.run(abort)).isEqualTo(Abort.Outcome.ABORTED);
        assertThat(columns(ds, "t1")).containsExactly("id bigint", "v integer");
        assertThat(triggers(ds, "t1")).isEmpty();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM pg_proc WHERE pronamespace ="
                                        + " 'backfill'::regnamespace"))
                .isZero();
    }

    // ------------------------------------------------------------------ helpers

    private static JobSpec spec(String db, String table, String body) {
        return JobSpecParser.parse(
                "reorg: "
                        + db
                        + "\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl(db)
                        + "\n  user: postgres\ntable: "
                        + table
                        + "\nmodify-column:\n"
                        + body
                        + "tuning:\n  lock-timeout: 5s\n",
                db + ".yaml",
                Map.of());
    }

    private static ShadowColumn shadow(DataSource ds, JobSpec spec) throws Exception {
        try (Connection c = ds.getConnection()) {
            return TestingReorgs.shadow(ReorgSetup.resolve(c, spec));
        }
    }
}
