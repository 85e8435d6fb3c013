package dev.backfill.model;

import org.apache.flink.annotation.Internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test-only fault injection, the equivalent of TiDB's {@code mockBackfillRunErr} failpoint. Code
 * under test calls {@link #hit(String)} at the places where a crash matters; a test arms a name to
 * throw on chosen hits. Disarmed (always, outside tests), a hit is one volatile read.
 *
 * <p>Works in one JVM, so in MiniCluster tests, not on a real cluster.
 */
@Internal
public final class Failpoints {
    /** Before a reader's page query. */
    public static final String READER_FETCH = "reader.fetch";

    /** Inside a batch transaction, after the entries are written and before the commit. */
    public static final String WRITER_BEFORE_COMMIT = "writer.before-commit";

    /** After a batch transaction committed, before the writer records it. */
    public static final String WRITER_AFTER_COMMIT = "writer.after-commit";

    /**
     * In the finalizer (both operations), after the reorg is {@code verifying} and older
     * transactions have ended, before the first verification.
     */
    public static final String FINALIZER_BEFORE_VERIFY = "finalizer.before-verify";

    /**
     * The adaptive throttle's probe: armed with {@link #armDelay}, the probe query sleeps that long
     * on the server ({@code pg_sleep}), as a slow database would make it.
     */
    public static final String THROTTLE_PROBE = "throttle.probe";

    private static volatile boolean armed;
    private static final Map<String, java.time.Duration> DELAYS = new ConcurrentHashMap<>();
    private static final Map<String, Plan> PLANS = new ConcurrentHashMap<>();

    /** The exception a failpoint throws. */
    public static final class InjectedFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedFailure(String name, int hit) {
            super("injected failure at " + name + " (hit " + hit + ")");
        }
    }

    private static final class Plan {
        final AtomicInteger hits = new AtomicInteger();
        final AtomicInteger fired = new AtomicInteger();
        final int every;
        final int times;
        final Action action; // null: throw

        Plan(int every, int times) {
            this(every, times, null);
        }

        Plan(int every, int times, Action action) {
            this.every = every;
            this.times = times;
            this.action = action;
        }
    }

    /** What a failpoint armed with {@link #armAction} runs instead of throwing. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    private Failpoints() {}

    /** Makes {@code name} throw on every {@code every}-th hit, {@code times} times in all. */
    public static void arm(String name, int every, int times) {
        PLANS.put(name, new Plan(every, times));
        armed = true;
    }

    /**
     * Makes {@code name} run {@code action} on its first hit, once, instead of throwing: a test
     * changes the database at that moment (e.g. plants a difference before verification). An
     * exception of the action is rethrown, wrapped, at the hit.
     */
    public static void armAction(String name, Action action) {
        PLANS.put(name, new Plan(1, 1, action));
        armed = true;
    }

    /** How many times {@code name} has thrown (or run its action). */
    public static int fired(String name) {
        Plan p = PLANS.get(name);
        return p == null ? 0 : p.fired.get();
    }

    public static void disarmAll() {
        armed = false;
        PLANS.clear();
        DELAYS.clear();
    }

    /** Makes {@link #delay}{@code (name)} return {@code d} until disarmed ({@link #disarm}). */
    public static void armDelay(String name, java.time.Duration d) {
        DELAYS.put(name, d);
        armed = true;
    }

    /** Disarms one failpoint (a plan or a delay). */
    public static void disarm(String name) {
        PLANS.remove(name);
        DELAYS.remove(name);
    }

    /** The delay armed for {@code name}, or zero: one volatile read when nothing is armed. */
    public static java.time.Duration delay(String name) {
        if (!armed) {
            return java.time.Duration.ZERO;
        }
        return DELAYS.getOrDefault(name, java.time.Duration.ZERO);
    }

    /** Throws {@link InjectedFailure} when {@code name} is armed and due. */
    public static void hit(String name) {
        if (!armed) {
            return;
        }
        Plan p = PLANS.get(name);
        if (p == null) {
            return;
        }
        int n = p.hits.incrementAndGet();
        if (n % p.every == 0 && p.fired.get() < p.times && p.fired.incrementAndGet() <= p.times) {
            if (p.action != null) {
                try {
                    p.action.run();
                } catch (Exception e) {
                    throw new IllegalStateException("failpoint action " + name + " failed", e);
                }
                return;
            }
            throw new InjectedFailure(name, n);
        }
    }
}
