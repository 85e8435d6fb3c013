package dev.backfill.reorg;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.TableInfo;
import dev.backfill.model.JobSpec;
import dev.backfill.op.OperationType;
import dev.backfill.op.Operations;
import dev.backfill.op.ReorgPlan;

import org.apache.flink.annotation.Internal;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;

/**
 * Everything the client does before submitting the Flink job: read the catalog, resolve the table
 * against the live schema (failing before any DDL on a bad table, column or key), and either
 * prepare a new reorg or find the one to resume. Used by {@code job.BackfillJob} and the tests.
 */
@Internal
public final class ReorgSetup {
    /** What the client found. */
    public enum Status {
        /** Prepared now: write-only, ready for the backfill. */
        PREPARED,
        /** Already in the catalog and not finished: the job resumes it. */
        RESUMING,
        /** Already public: nothing to do. */
        ALREADY_PUBLIC,
        /** A modify-column, verified and waiting for the cut-over: no backfill to run. */
        READY
    }

    /** The outcome: the plan (null when already public) and the status. */
    public static final class Outcome {
        public final ReorgPlan plan;
        public final Status status;
        public final Reorg existing;

        Outcome(ReorgPlan plan, Status status, Reorg existing) {
            this.plan = plan;
            this.status = status;
            this.existing = existing;
        }
    }

    private ReorgSetup() {}

    /** Sets the reorg up. {@code spec}'s database must be resolved (not {@code embedded}). */
    public static Outcome run(JobSpec spec) throws SQLException, InterruptedException {
        DataSource ds = Connections.dataSource(spec.database(), spec.reorgId());
        try (Connection c = Connections.open(ds)) {
            Catalog.ensureSchema(c);
            c.commit();
            Optional<Reorg> existing = Catalog.find(c, spec.reorgId());
            c.commit();
            if (existing.isPresent() && existing.get().state == State.PUBLIC) {
                return new Outcome(null, Status.ALREADY_PUBLIC, existing.get());
            }
            if (existing.isPresent() && existing.get().state == State.ABORTED) {
                throw new TableInfo.TableException(
                        "reorg "
                                + spec.reorgId()
                                + " was aborted; give this spec another `reorg:` id to run it again");
            }
            ReorgPlan plan = resolve(c, spec);
            c.commit();
            Outcome out;
            if (existing.isPresent() && existing.get().state == State.READY) {
                Prepare.checkSameDefinition(existing.get(), plan);
                return new Outcome(plan, Status.READY, existing.get());
            }
            if (existing.isPresent()) {
                Prepare.checkSameDefinition(existing.get(), plan);
                // Fail early, on the client, when a job is running this reorg right now (its
                // enumerator holds the runner lock, which remains the real guard).
                if (!Catalog.tryLockRunner(c, spec.reorgId())) {
                    throw new TableInfo.TableException(
                            "reorg "
                                    + spec.reorgId()
                                    + " is already being run by another job (runner lock held by "
                                    + Catalog.runnerLockHolder(c, spec.reorgId())
                                    + ")");
                }
                Catalog.unlockRunner(c, spec.reorgId());
                out = new Outcome(plan, Status.RESUMING, existing.get());
            } else {
                Prepare.run(c, plan);
                out = new Outcome(plan, Status.PREPARED, null);
            }
            // Each run starts with the spec's knobs; UPDATEs of backfill.reorgs change them live.
            Catalog.setKnobs(
                    c, spec.reorgId(), spec.tuning().maxRowsPerSecond(), spec.tuning().batchSize());
            Catalog.setThrottleKnobs(c, spec.reorgId(), spec.tuning().throttle());
            c.commit();
            return out;
        }
    }

    /** Resolves the spec against the live schema; changes nothing. */
    public static ReorgPlan resolve(Connection c, JobSpec spec) throws SQLException {
        return resolve(c, spec, true);
    }

    /**
     * {@link #resolve(Connection, JobSpec)}, by the spec's operation ({@link
     * OperationType#resolve}); without {@code checkDependents} a modify-column's dependents are not
     * checked here: for the cut-over, which checks them under its own lock and refuses with its own
     * message.
     */
    public static ReorgPlan resolve(Connection c, JobSpec spec, boolean checkDependents)
            throws SQLException {
        TableInfo table = TableInfo.load(c, spec.schema(), spec.table());
        return new ReorgPlan(
                spec, table, Operations.of(spec).resolve(c, spec, table, checkDependents));
    }
}
