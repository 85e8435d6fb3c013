package dev.backfill.source.reader;

import dev.backfill.db.Catalog;
import dev.backfill.db.Connections;
import dev.backfill.db.SessionSql;
import dev.backfill.model.ThrottleSettings;
import dev.backfill.op.ReorgPlan;
import dev.backfill.throttle.AimdController;
import dev.backfill.throttle.Baseline;
import dev.backfill.throttle.ProbeWindow;
import dev.backfill.throttle.Reason;
import dev.backfill.throttle.RowRateLimiter;
import dev.backfill.throttle.Signals;
import dev.backfill.throttle.ThrottleProbe;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
 * <p>The probe's idle baseline is the tail of {@link Baseline#SAMPLES} probes spread over {@link
 * Baseline#SPREAD_MILLIS} ms at the first tick, before the subtask's first page (or when the
 * throttle is first switched on); a later window whose tail is lower lowers it (never raises it).
 * From then on a prober thread, on a connection of its own, probes every {@link #PROBE_INTERVAL}
 * into a {@link ProbeWindow} of the last {@link #WINDOW}, and each tick compares that window's tail
 * with the baseline's. A failure to read the signals is logged and keeps the last decision: the
 * throttle never fails the job.
 *
 * <p>Each probe is a tiny durable commit and takes a transaction id: five a second per subtask
 * while the throttle is on.
 */
final class ReaderThrottle {
    private static final Logger LOG = LoggerFactory.getLogger(ReaderThrottle.class);

    static final Duration TICK = Duration.ofSeconds(1);

    /** The throttle session's lock_timeout (its only lock: the reorg's row, to record). */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(1);

    /** How often the prober probes. */
    static final Duration PROBE_INTERVAL = Duration.ofMillis(200);

    /** How far back a tick looks at the probes: ten of them. */
    static final Duration WINDOW = Duration.ofSeconds(2);

    /** How far back the prober's looks for the application count. */
    static final Duration PRESENCE_WINDOW = Duration.ofSeconds(5);

    /**
     * Looks (of about 25 in {@link #PRESENCE_WINDOW}) that must find another client session active
     * for the application to count as at work: a monitoring query now and then does not.
     */
    static final int PRESENCE_LOOKS = 3;

    /** Probes a window needs before its tail may lower the baseline. */
    static final int MIN_SAMPLES_TO_LOWER = 5;

    /** Ticks between two INFO lines of the probe's reading while the throttle is on. */
    static final int REPORT_TICKS = 10;

    private final ReorgPlan plan;
    private final int readers;
    private final RowRateLimiter limiter;
    private final AimdController controller = new AimdController();
    private final String applicationName;
    private final ProbeWindow window = new ProbeWindow(WINDOW.toNanos());
    private final ProbeWindow presence = new ProbeWindow(PRESENCE_WINDOW.toNanos());

    private ThrottleSettings settings;
    private volatile Baseline baseline;
    private volatile boolean probing;
    private ScheduledExecutorService prober;
    private Connection proberConnection; // the prober thread's only
    private boolean proberWarned;
    private long ticks;
    private boolean slowAlone; // the probe is slow, but no application was seen at work
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
            probing = settings.enabled() && baseline != null;
            ticks++;
            AimdController.Decision d;
            double floor = (double) settings.minRowsPerSecond() / readers;
            if (!settings.enabled()) {
                d = controller.tick(null, null, settings, floor);
            } else if (baseline == null) {
                baseline = Baseline.of(samples(c));
                probing = true;
                startProber();
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
                double[] recent = window.samples(now);
                double latency = ProbeWindow.tail(recent);
                if (Double.isNaN(latency)) {
                    latency = ThrottleProbe.probeMillis(c); // the prober has not probed yet
                }
                if (recent.length >= MIN_SAMPLES_TO_LOWER && latency < baseline.millis()) {
                    // The baseline only ever goes down: one measured while Flink was starting,
                    // or while the other readers already ran, is too high to protect anyone.
                    baseline = Baseline.of(latency);
                }
                ThrottleProbe.Activity a = ThrottleProbe.activity(c, applicationName);
                Signals s =
                        new Signals(
                                latency,
                                a.activeOthers(),
                                a.waitingOnUs(),
                                a.replicaLagMillis(),
                                seconds > 0 ? rows / seconds : 0,
                                applicationSeen(now));
                d = controller.tick(s, baseline, settings, floor);
                boolean alone =
                        !s.applicationSeen()
                                && latency > baseline.thresholdMillis(settings.maxLatencyRatio());
                if (alone && !slowAlone) {
                    LOG.info(
                            "reorg {}: throttle: the probe is slow ({} ms, baseline {}), but no"
                                    + " other session was seen at work in the last {} s: only our"
                                    + " own load, not throttling for it",
                            plan.reorgId(),
                            String.format(java.util.Locale.ROOT, "%.3f", latency),
                            baseline,
                            PRESENCE_WINDOW.toSeconds());
                }
                slowAlone = alone;
                if (ticks % REPORT_TICKS == 0) {
                    LOG.info(
                            "reorg {}: throttle reading: probe tail {} ms (baseline {}, slow above"
                                    + " {} ms), application {}, {} rows/s read, cap {}",
                            plan.reorgId(),
                            String.format(java.util.Locale.ROOT, "%.3f", latency),
                            baseline,
                            String.format(
                                    java.util.Locale.ROOT,
                                    "%.3f",
                                    baseline.thresholdMillis(settings.maxLatencyRatio())),
                            s.applicationSeen() ? "seen" : "not seen",
                            Math.round(s.observedRowsPerSecond()),
                            d.rowsPerSecond() == 0 ? "none" : d.rowsPerSecond() + " rows/s");
                }
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

    /** At least {@link #PRESENCE_LOOKS} of the prober's looks found another session active. */
    private boolean applicationSeen(long now) {
        double seen = 0;
        for (double v : presence.samples(now)) {
            seen += v;
        }
        return seen >= PRESENCE_LOOKS;
    }

    /** The baseline's probes, spread over {@link Baseline#SPREAD_MILLIS}. */
    private double[] samples(Connection c) throws SQLException {
        double[] s = new double[Baseline.SAMPLES];
        long gap = Baseline.SPREAD_MILLIS / Baseline.SAMPLES;
        for (int i = 0; i < s.length; i++) {
            if (i > 0) {
                try {
                    Thread.sleep(gap); // spacing the probes, not synchronisation
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new SQLException("interrupted while measuring the baseline", e);
                }
            }
            s[i] = ThrottleProbe.probeMillis(c);
            // the application is looked for from the start, not only once the prober runs
            presence.add(
                    System.nanoTime(), ThrottleProbe.othersActive(c, applicationName) > 0 ? 1 : 0);
        }
        return s;
    }

    private void startProber() {
        if (prober != null) {
            return;
        }
        prober =
                Executors.newSingleThreadScheduledExecutor(
                        r -> {
                            Thread t = new Thread(r, "backfill-throttle-prober");
                            t.setDaemon(true);
                            return t;
                        });
        prober.scheduleWithFixedDelay(
                this::probeOnce,
                PROBE_INTERVAL.toMillis(),
                PROBE_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** One probe of the prober thread, into the window; a failure drops its connection. */
    private void probeOnce() {
        if (!probing) {
            return;
        }
        try {
            if (proberConnection == null || proberConnection.isClosed()) {
                proberConnection = Connections.open(plan.dataSource());
                proberConnection.setAutoCommit(true);
            }
            double millis = ThrottleProbe.probeMillis(proberConnection);
            long now = System.nanoTime();
            window.add(now, millis);
            int others = ThrottleProbe.othersActive(proberConnection, applicationName);
            presence.add(now, others > 0 ? 1 : 0);
            proberWarned = false;
        } catch (SQLException | RuntimeException e) {
            if (!proberWarned) {
                LOG.warn(
                        "reorg {}: the throttle's prober cannot probe; ticks probe once"
                                + " themselves meanwhile: {}",
                        plan.reorgId(),
                        e.getMessage());
                proberWarned = true;
            }
            Connections.closeQuietly(proberConnection);
            proberConnection = null;
        }
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
                st.execute(SessionSql.setLockTimeout(LOCK_TIMEOUT.toMillis()));
            }
        }
        return connection;
    }

    /** Closes the tick's connection (after a failure to read the signals). */
    synchronized void close() {
        Connections.closeQuietly(connection);
        connection = null;
    }

    /** Stops the prober and closes every connection: the reader is closing. */
    void shutdown() {
        ScheduledExecutorService p;
        synchronized (this) {
            p = prober;
            prober = null;
            probing = false;
            close();
        }
        if (p != null) {
            p.shutdownNow();
            try {
                p.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Connections.closeQuietly(proberConnection);
        proberConnection = null;
    }
}
