package dev.backfill.sink;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.Reorg;
import dev.backfill.db.Catalog.State;
import dev.backfill.db.Connections;
import dev.backfill.db.Retry;
import dev.backfill.job.ReorgPlan;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * The last step of a reorg, run once after every split has committed: verify, then {@code public}
 * (or {@code failed} with the counts and the first offending keys). Plain logic, called by {@link
 * FinalizerOperator} inside the Flink job (so it also runs with {@code flink run -d}) and by tests.
 */
public final class Finalizer {
    private static final Logger LOG = LoggerFactory.getLogger(Finalizer.class);

    private Finalizer() {}

    /**
     * Verifies and publishes. Returns the verification result, or null when there was nothing to do
     * (already public). Throws {@link ReorgFailedException} when verification fails or the reorg
     * was aborted or failed meanwhile.
     */
    public static Verifier.Result finish(ReorgPlan plan) throws SQLException, InterruptedException {
        Retry retry = Retry.defaults();
        try (Connection c = Connections.open(plan.dataSource())) {
            Reorg r =
                    retry.call(
                            "reading reorg " + plan.reorgId(),
                            () -> {
                                Reorg x =
                                        Catalog.find(c, plan.reorgId())
                                                .orElseThrow(
                                                        () ->
                                                                new SQLException(
                                                                        "reorg "
                                                                                + plan.reorgId()
                                                                                + " is not in the catalog"));
                                c.commit();
                                return x;
                            });
            if (r.state == State.PUBLIC) {
                LOG.info("reorg {} is already public", plan.reorgId());
                return null;
            }
            if (r.state == State.ABORTED || r.state == State.FAILED) {
                throw new ReorgFailedException(
                        "reorg "
                                + plan.reorgId()
                                + " is "
                                + r.state.value()
                                + (r.error != null ? ": " + r.error : ""));
            }
            retry.call(
                    "marking reorg " + plan.reorgId() + " verifying",
                    () -> {
                        Catalog.transition(
                                c,
                                plan.reorgId(),
                                List.of(State.BACKFILLING, State.WRITE_ONLY),
                                State.VERIFYING);
                        c.commit();
                        return null;
                    });
            LOG.info(
                    "reorg {}: backfill complete, verifying {} against {}",
                    plan.reorgId(),
                    plan.index().displayName(),
                    plan.table().displayName());
            Verifier.Result result =
                    retry.call(
                            "verifying reorg " + plan.reorgId(),
                            () -> Verifier.verify(c, plan.index()));
            LOG.info("reorg {}: {}", plan.reorgId(), result);
            retry.call(
                    "publishing reorg " + plan.reorgId(),
                    () -> {
                        if (result.ok()) {
                            Catalog.setRowsDone(c, plan.reorgId(), result.rows);
                            Catalog.setState(c, plan.reorgId(), State.PUBLIC, null, true);
                        } else {
                            Catalog.setState(
                                    c, plan.reorgId(), State.FAILED, result.toString(), false);
                        }
                        c.commit();
                        return null;
                    });
            if (!result.ok()) {
                throw new ReorgFailedException("reorg " + plan.reorgId() + " " + result);
            }
            return result;
        }
    }
}
