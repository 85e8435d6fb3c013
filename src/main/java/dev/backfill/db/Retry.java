package dev.backfill.db;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one retry policy for database work: transient errors are retried with jittered exponential
 * backoff, everything else fails at once. Like TiDB's backfill, which retries a failed batch commit
 * up to a limit with growing pauses.
 *
 * <p>Retryable: serialization failure (40001), deadlock (40P01), lock timeout (55P03), query
 * cancelled by a statement/lock timeout (57014), admin shutdown / crash (57P01..57P03) and any
 * connection error (class 08), as {@link SqlErrors#isRetryable} classifies them. Fatal: everything
 * else, for example constraint violations, conversion errors and missing objects.
 */
@Internal
public final class Retry {
    private static final Logger LOG = LoggerFactory.getLogger(Retry.class);

    /** One unit of work that may be retried; it must be safe to run again from the start. */
    @FunctionalInterface
    public interface Work<T> {
        T run() throws SQLException;
    }

    /** Called before each retry, for metrics and for reconnecting. */
    @FunctionalInterface
    public interface RetryListener {
        void onRetry(int attempt, SQLException cause);
    }

    private final int maxAttempts;
    private final Duration baseDelay;
    private final Duration maxDelay;

    public Retry(int maxAttempts, Duration baseDelay, Duration maxDelay) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        this.maxAttempts = maxAttempts;
        this.baseDelay = baseDelay;
        this.maxDelay = maxDelay;
    }

    /** The default: 30 attempts, 20 ms doubling to at most 2 s, full jitter. */
    public static Retry defaults() {
        return new Retry(30, Duration.ofMillis(20), Duration.ofSeconds(2));
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    private RetryListener defaultListener = (attempt, cause) -> {};

    /**
     * The same policy, calling {@code listener} before each retry of {@link #call(String, Work)}.
     */
    public Retry withListener(RetryListener listener) {
        Retry r = new Retry(maxAttempts, baseDelay, maxDelay);
        r.defaultListener = listener;
        return r;
    }

    public <T> T call(String what, Work<T> work) throws SQLException, InterruptedException {
        return call(what, work, defaultListener);
    }

    /**
     * Runs {@code work} until it succeeds, fails with a fatal error, or has failed {@code
     * maxAttempts} times. {@code what} names the work in logs and in the final error.
     */
    public <T> T call(String what, Work<T> work, RetryListener listener)
            throws SQLException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            try {
                return work.run();
            } catch (SQLException e) {
                if (!SqlErrors.isRetryable(e)) {
                    throw e;
                }
                if (attempt >= maxAttempts) {
                    SQLException gaveUp =
                            new SQLException(
                                    "gave up on "
                                            + what
                                            + " after "
                                            + attempt
                                            + " attempts: "
                                            + e.getMessage(),
                                    e.getSQLState(),
                                    e);
                    throw gaveUp;
                }
                long delay = backoffMillis(attempt);
                LOG.warn(
                        "{} failed (attempt {}/{}, SQLSTATE {}): {}; retrying in {} ms",
                        what,
                        attempt,
                        maxAttempts,
                        e.getSQLState(),
                        e.getMessage(),
                        delay);
                listener.onRetry(attempt, e);
                Thread.sleep(delay); // backoff between attempts, not synchronisation
            }
        }
    }

    long backoffMillis(int attempt) {
        long cap =
                Math.min(
                        maxDelay.toMillis(),
                        baseDelay.toMillis() * (1L << Math.min(attempt - 1, 20)));
        return ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
    }
}
