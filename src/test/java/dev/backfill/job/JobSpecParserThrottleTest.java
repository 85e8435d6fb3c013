package dev.backfill.job;

import dev.backfill.model.ThrottleSettings;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@code tuning.throttle} in {@link JobSpecParser}: forms, defaults, and errors with lines. */
class JobSpecParserThrottleTest {
    private static final String FILE = "bad.yaml";

    /** A valid spec ending in {@code tuning:} at line 7; throttle lines start at line 8. */
    private static final String TUNING =
            "database:\n" // 1
                    + "  url: embedded\n" // 2
                    + "table: demo.orders\n" // 3
                    + "add-index:\n" // 4
                    + "  name: orders_email\n" // 5
                    + "  columns: [email]\n" // 6
                    + "tuning:\n"; // 7

    private static ThrottleSettings throttle(String yaml) {
        return JobSpecParser.parse(yaml, FILE, Map.of()).tuning().throttle();
    }

    private static void assertError(String yaml, int line, String field, String... fragments) {
        JobSpecException e =
                catchThrowableOfType(
                        JobSpecException.class, () -> JobSpecParser.parse(yaml, FILE, Map.of()));
        assertThat(e).as("expected a JobSpecException for:%n%s", yaml).isNotNull();
        assertThat(e.getMessage()).startsWith(FILE + ":" + line + ": " + field + ": ");
        for (String fragment : fragments) {
            assertThat(e.getMessage()).contains(fragment);
        }
    }

    @Test
    void onByDefaultWithDefaults() {
        ThrottleSettings t = throttle(TUNING + "  batch-size: 10\n");
        assertThat(t).isEqualTo(ThrottleSettings.defaults());
        assertThat(t.enabled()).isTrue();
        assertThat(t.maxLatencyRatio()).isEqualTo(2.0);
        assertThat(t.maxReplicaLag()).isEqualTo(Duration.ofSeconds(5));
        assertThat(t.maxActiveSessions()).isZero();
        assertThat(t.minRowsPerSecond()).isEqualTo(1000);
        assertThat(throttle(TUNING.replace("tuning:\n", ""))).isEqualTo(t);
    }

    @Test
    void offAndOn() {
        for (String off : new String[] {"off", "false", "OFF", "'off'"}) {
            assertThat(throttle(TUNING + "  throttle: " + off + "\n").enabled()).as(off).isFalse();
        }
        for (String on : new String[] {"on", "true"}) {
            assertThat(throttle(TUNING + "  throttle: " + on + "\n"))
                    .as(on)
                    .isEqualTo(ThrottleSettings.defaults());
        }
    }

    @Test
    void aMapOfSettings() {
        ThrottleSettings t =
                throttle(
                        TUNING
                                + "  throttle:\n"
                                + "    max-latency-ratio: 1.5\n"
                                + "    max-replica-lag: 500ms\n"
                                + "    max-active-sessions: 8\n"
                                + "    min-rows-per-second: 200\n");
        assertThat(t).isEqualTo(new ThrottleSettings(true, 1.5, Duration.ofMillis(500), 8, 200));
        assertThat(throttle(TUNING + "  throttle: {max-latency-ratio: 3}\n").maxLatencyRatio())
                .isEqualTo(3.0);
    }

    @Test
    void rejectsBadValuesWithFileLineFieldAndValue() {
        assertError(
                TUNING + "  throttle: sometimes\n",
                8,
                "tuning.throttle",
                "must be off, on, or a map with the keys max-latency-ratio, max-replica-lag,"
                        + " max-active-sessions, min-rows-per-second",
                "got \"sometimes\"");
        assertError(
                TUNING + "  throttle: [off]\n",
                8,
                "tuning.throttle",
                "expected off, on, or a map",
                "got a list");
        assertError(
                TUNING + "  throttle:\n    max-latency-ratio: 1\n",
                9,
                "tuning.throttle.max-latency-ratio",
                "must be a number over 1 and at most 1000",
                "got 1");
        assertError(
                TUNING + "  throttle:\n    max-latency-ratio: 0.5\n",
                9,
                "tuning.throttle.max-latency-ratio",
                "got 0.5");
        assertError(
                TUNING + "  throttle:\n    max-latency-ratio: double\n",
                9,
                "tuning.throttle.max-latency-ratio",
                "expected a number over 1",
                "got \"double\"");
        assertError(
                TUNING + "  throttle:\n    max-latency-ratio: 2000\n",
                9,
                "tuning.throttle.max-latency-ratio",
                "got 2000");
        assertError(
                TUNING + "  throttle:\n    max-replica-lag: 5 seconds\n",
                9,
                "tuning.throttle.max-replica-lag",
                "\"5 seconds\"",
                "500ms, 5s, 2m or 1h");
        assertError(
                TUNING + "  throttle:\n    max-active-sessions: -1\n",
                9,
                "tuning.throttle.max-active-sessions",
                "must be a whole number from 0 to 100000, got -1");
        assertError(
                TUNING + "  throttle:\n    min-rows-per-second: 0\n",
                9,
                "tuning.throttle.min-rows-per-second",
                "must be a whole number of at least 1, got 0");
        assertError(
                TUNING + "  throttle:\n    max-latency-ratio: 2\n    max_replica_lag: 1s\n",
                10,
                "tuning.throttle.max_replica_lag",
                "unknown key",
                "did you mean max-replica-lag?");
    }
}
