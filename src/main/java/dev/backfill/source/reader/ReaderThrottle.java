package dev.backfill.source.reader;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.job.ReorgPlan;
import dev.backfill.throttle.AimdController;
import dev.backfill.throttle.Baseline;
import dev.backfill.throttle.Reason;
import dev.backfill.throttle.Signals;
import dev.backfill.throttle.ThrottleProbe;
import dev.backfill.throttle.ThrottleSettings;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The adaptive throttle of one source subtask (shared by its split readers, like its {@link
 * RowRateLimiter}): every {@link #TICK} the reader's fetch thread calls {@link #tick}, which
 * re-reads the throttle's live knobs, reads the signals ({@link ThrottleProbe}, on a connection of
 * its own), asks the {@link AimdController} for this reader's rate and sets it on the limiter,
 * where {@code max-rows-per-second}'s share stays a hard cap. Each subtask decides on its own from
 * the same database, so they agree closely; the last one to change its decision writes it to {@code
 * backfill.reorgs.throttle_rate} (scaled to the job: this reader's cap times the number of readers)
 * and {@code throttle_reason}.
 *
 * <p>The probe's idle baseline is the median of {@link Baseline#SAMPLES} probes taken at the first
 * tick, before the subtask's first page (or when the throttle is first switched on). A failure to
 * read the signals is logged and keeps the last decision: the throttle never fails the job.
 */
final class ReaderThrottle {
    private static final Logger LOG = LoggerFactory.getLogger(ReaderThrottle.class);

    static final Duration TICK = Duration.ofSeconds(1);

    /** The throttle session's lock_timeout (its only lock: the reorg's row, to record). */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(1);

    /** Probes per tick; their median is the tick's latency. */
    static final int PROBES_PER_TICK = 3;

    private final ReorgPlan plan;
    private final int readers;
    private final RowRateLimiter limiter;
    private final AimdController controller = new AimdController();
    private final String applicationName;

    private ThrottleSettings settings;
    private Baseline baseline;
    private Connection connection;
    private long lastTickNanos = -1;
    private long rowsSinceTick;
    private long recordedRate = -1;
    private Reason recordedReason;
    private boolean warned;

    private volatile long rate; // this reader's cap, rows/s; 0: uncapped
    private volatile Reason reason;

    ReaderThrottle(ReorgPlan plan, int readers, RowRateLimiter limiter) {
        this.plan = plan;
        this.readers = Math.max(1, readers);
        this.limiter = limiter;
        this.settings = plan.spec().tuning().throttle();
        this.reason = settings.enabled() ? Reason.NONE : Reason.OFF;
        this.applicationName = Connections.applicationName(plan.reorgId());
    }

    /** This reader's cap now, rows/s; 0: uncapped (the {@code throttleRate} gauge). */
    long rate() {
        return rate;
    }

    /** Why (the {@code throttleReason} gauge). */
    Reason reason() {
        return reason;
    }

    /** Counts rows read, for the rate observed between ticks. */
    synchronized void rowsRead(long rows) {
        rowsSinceTick += rows;
    }

    /** Decides again when a {@link #TICK} has passed since the last decision. */
    synchronized void tick(long now) {
        if (lastTickNanos >= 0 && now - lastTickNanos < TICK.toNanos()) {
            return;
        }
        double seconds = lastTickNanos < 0 ? 0 : (now - lastTickNanos) / 1e9;
        long rows = rowsSinceTick;
        lastTickNanos = now;
        rowsSinceTick = 0;
        try {
            Connection c = connection();
            ThrottleSettings k = Catalog.throttleKnobs(c, plan.reorgId()).orElse(settings);
            if (!k.equals(settings)) {
                LOG.info("reorg {}: throttle settings {}", plan.reorgId(), k);
            }
            settings = k;
            AimdController.Decision d;
            double floor = (double) settings.minRowsPerSecond() / readers;
            if (!settings.enabled()) {
                d = controller.tick(null, null, settings, floor);
            } else if (baseline == null) {
                baseline = Baseline.of(samples(c));
                LOG.info(
                        "reorg {}: throttle baseline: probe {} idle; slow above {} ms",
                        plan.reorgId(),
                        baseline,
                        String.format(
                                java.util.Locale.ROOT,
                                "%.3f",
                                baseline.thresholdMillis(settings.maxLatencyRatio())));
                d = new AimdController.Decision(controller.limit(), Reason.NONE);
            } else {
                double latency = ThrottleProbe.medianProbeMillis(c, PROBES_PER_TICK);
                ThrottleProbe.Activity a = ThrottleProbe.activity(c, applicationName);
                Signals s =
                        new Signals(
                                latency,
                                a.activeOthers(),
                                a.waitingOnUs(),
                                a.replicaLagMillis(),
                                seconds > 0 ? rows / seconds : 0);
                d = controller.tick(s, baseline, settings, floor);
                if (d.reason() != reason || (d.rowsPerSecond() == 0) != (rate == 0)) {
                    LOG.info(
                            "reorg {}: throttle {}: {} rows/s on this reader ({}; probe {} ms,"
                                    + " baseline {})",
                            plan.reorgId(),
                            d.reason(),
                            d.rowsPerSecond() == 0 ? "uncapped" : d.rowsPerSecond(),
                            s,
                            String.format(java.util.Locale.ROOT, "%.3f", latency),
                            baseline);
                }
            }
            rate = d.rowsPerSecond();
            reason = d.reason();
            limiter.setThrottleRate(rate);
            record(c);
            warned = false;
        } catch (SQLException e) {
            if (!warned) {
                LOG.warn(
                        "reorg {}: the throttle cannot read the database, keeping its last"
                                + " decision ({} rows/s, {}): {}",
                        plan.reorgId(),
                        rate,
                        reason,
                        e.getMessage());
                warned = true;
            }
            close();
        }
    }

    private double[] samples(Connection c) throws SQLException {
        double[] s = new double[Baseline.SAMPLES];
        for (int i = 0; i < s.length; i++) {
            s[i] = ThrottleProbe.probeMillis(c);
        }
        return s;
    }

    private void record(Connection c) throws SQLException {
        long global = rate * readers;
        if (global == recordedRate && reason == recordedReason) {
            return;
        }
        Catalog.recordThrottle(c, plan.reorgId(), global, reason.text());
        recordedRate = global;
        recordedReason = reason;
    }

    private Connection connection() throws SQLException {
        if (connection == null || connection.isClosed()) {
            connection = Connections.open(plan.dataSource());
            connection.setAutoCommit(true);
            try (java.sql.Statement st = connection.createStatement()) {
                // Never stall the reader behind a lock on the reorg's row (the cut-over's, say):
                // a recording that cannot get it fails, and the decision stands.
                st.execute("SET lock_timeout = " + LOCK_TIMEOUT.toMillis());
            }
        }
        return connection;
    }

    synchronized void close() {
        Connections.closeQuietly(connection);
        connection = null;
    }
}
