package dev.backfill.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link Retry}. */
class RetryTest {
    private final Retry retry = new Retry(3, Duration.ofMillis(1), Duration.ofMillis(2));

    private static SQLException error(String state) {
        return new SQLException("boom " + state, state);
    }

    @ParameterizedTest
    @ValueSource(strings = {"40001", "40P01", "55P03", "57014", "08006", "08001", "57P01"})
    void transientErrorsAreRetryable(String state) {
        assertThat(SqlErrors.isRetryable(error(state))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"23505", "22P02", "42P01", "23503", "42601"})
    void otherErrorsAreFatal(String state) {
        assertThat(SqlErrors.isRetryable(error(state))).isFalse();
    }

    @Test
    void anErrorWithoutStateIsFatal() {
        assertThat(SqlErrors.isRetryable(new SQLException("no state"))).isFalse();
    }

    @Test
    void aRetryableCauseMakesTheWrapperRetryable() {
        SQLException wrapped = new SQLException("wrapper", null, error("40001"));
        assertThat(SqlErrors.isRetryable(wrapped)).isTrue();
        SQLException deep =
                new SQLException("outer", "XX000", new RuntimeException("middle", error("08006")));
        assertThat(SqlErrors.isRetryable(deep)).isTrue();
        SQLException fatalCause = new SQLException("wrapper", null, error("23505"));
        assertThat(SqlErrors.isRetryable(fatalCause)).isFalse();
    }

    @Test
    void connectionErrorsAreRecognised() {
        assertThat(SqlErrors.isConnectionError(error("08006"))).isTrue();
        assertThat(SqlErrors.isConnectionError(error("57P01"))).isTrue();
        assertThat(SqlErrors.isConnectionError(error("40001"))).isFalse();
        assertThat(SqlErrors.isConnectionError(new SQLException("x"))).isFalse();
    }

    @Test
    void maxAttemptsMustBePositive() {
        assertThatThrownBy(() -> new Retry(0, Duration.ofMillis(1), Duration.ofMillis(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0");
        assertThat(retry.maxAttempts()).isEqualTo(3);
    }

    @Test
    void retriesARetryableErrorThenSucceeds() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        String result =
                retry.call(
                        "a flaky batch",
                        () -> {
                            if (attempts.incrementAndGet() < 3) {
                                throw error("40001");
                            }
                            return "done";
                        });
        assertThat(result).isEqualTo("done");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void succeedsAtOnceWithoutRetrying() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        List<Integer> retries = new ArrayList<>();
        int result = retry.call("easy work", attempts::incrementAndGet, (a, e) -> retries.add(a));
        assertThat(result).isEqualTo(1);
        assertThat(attempts).hasValue(1);
        assertThat(retries).isEmpty();
    }

    @Test
    void givesUpAfterMaxAttemptsNamingTheWorkAndAttempts() {
        AtomicInteger attempts = new AtomicInteger();
        SQLException last = error("40P01");
        assertThatThrownBy(
                        () ->
                                retry.call(
                                        "writing batch 7 of split t:0",
                                        () -> {
                                            attempts.incrementAndGet();
                                            throw last;
                                        }))
                .isInstanceOf(SQLException.class)
                .hasMessageStartingWith(
                        "gave up on writing batch 7 of split t:0 after 3 attempts: ")
                .hasMessageContaining("boom 40P01")
                .hasCause(last)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("40P01"));
        assertThat(attempts).hasValue(3);
    }

    @Test
    void rethrowsAFatalErrorAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        List<Integer> retries = new ArrayList<>();
        SQLException fatal = error("23505");
        assertThatThrownBy(
                        () ->
                                retry.call(
                                        "inserting",
                                        () -> {
                                            attempts.incrementAndGet();
                                            throw fatal;
                                        },
                                        (a, e) -> retries.add(a)))
                .isSameAs(fatal);
        assertThat(attempts).hasValue(1);
        assertThat(retries).isEmpty();
    }

    @Test
    void aFatalErrorAfterRetriesIsRethrownUnchanged() {
        AtomicInteger attempts = new AtomicInteger();
        SQLException fatal = error("22P02");
        assertThatThrownBy(
                        () ->
                                retry.call(
                                        "converting",
                                        () -> {
                                            throw attempts.incrementAndGet() == 1
                                                    ? error("55P03")
                                                    : fatal;
                                        }))
                .isSameAs(fatal);
        assertThat(attempts).hasValue(2);
    }

    @Test
    void callsTheListenerBeforeEachRetryWithAttemptAndCause() {
        List<Integer> seenAttempts = new ArrayList<>();
        List<SQLException> seenCauses = new ArrayList<>();
        List<SQLException> thrown = List.of(error("40001"), error("08006"), error("57014"));
        AtomicInteger attempts = new AtomicInteger();
        assertThatThrownBy(
                        () ->
                                retry.call(
                                        "work",
                                        () -> {
                                            throw thrown.get(attempts.getAndIncrement());
                                        },
                                        (attempt, cause) -> {
                                            seenAttempts.add(attempt);
                                            seenCauses.add(cause);
                                        }))
                .hasMessageContaining("after 3 attempts");
        // Three attempts, two retries: the listener is not called after the last attempt.
        assertThat(seenAttempts).containsExactly(1, 2);
        assertThat(seenCauses).containsExactly(thrown.get(0), thrown.get(1));
    }

    @Test
    void listenerIsCalledOncePerRetryBeforeASuccess() throws Exception {
        List<Integer> seenAttempts = new ArrayList<>();
        AtomicInteger attempts = new AtomicInteger();
        retry.call(
                "work",
                () -> {
                    if (attempts.incrementAndGet() == 1) {
                        throw error("57014");
                    }
                    return null;
                },
                (attempt, cause) -> seenAttempts.add(attempt));
        assertThat(seenAttempts).containsExactly(1);
    }

    @Test
    void backoffStaysWithinHalfTheCapAndTheCap() {
        Retry r = new Retry(30, Duration.ofMillis(20), Duration.ofSeconds(2));
        for (int i = 0; i < 50; i++) {
            assertThat(r.backoffMillis(1)).isBetween(10L, 20L);
            assertThat(r.backoffMillis(3)).isBetween(40L, 80L);
            assertThat(r.backoffMillis(30)).isBetween(1000L, 2000L);
        }
    }
}
