package dev.backfill.job;

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
public final class Failpoints {
    /** Before a reader's page query. */
    public static final String READER_FETCH = "reader.fetch";

    /** Inside a batch transaction, after the entries are written and before the commit. */
    public static final String WRITER_BEFORE_COMMIT = "writer.before-commit";

    /** After a batch transaction committed, before the writer records it. */
    public static final String WRITER_AFTER_COMMIT = "writer.after-commit";

    private static volatile boolean armed;
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

        Plan(int every, int times) {
            this.every = every;
            this.times = times;
        }
    }

    private Failpoints() {}

    /** Makes {@code name} throw on every {@code every}-th hit, {@code times} times in all. */
    public static void arm(String name, int every, int times) {
        PLANS.put(name, new Plan(every, times));
        armed = true;
    }

    /** How many times {@code name} has thrown. */
    public static int fired(String name) {
        Plan p = PLANS.get(name);
        return p == null ? 0 : p.fired.get();
    }

    public static void disarmAll() {
        armed = false;
        PLANS.clear();
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
            throw new InjectedFailure(name, n);
        }
    }
}
