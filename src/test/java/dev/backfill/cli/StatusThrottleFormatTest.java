package dev.backfill.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The THROTTLE column of {@code status}. */
class StatusThrottleFormatTest {
    @Test
    void showsReasonAndJobWideCap() {
        assertThat(Status.throttle(null, null)).isEqualTo("-");
        assertThat(Status.throttle("none", 0L)).isEqualTo("none");
        assertThat(Status.throttle("off", 0L)).isEqualTo("off");
        assertThat(Status.throttle("latency", 2500L)).isEqualTo("latency 2,500/s");
        assertThat(Status.throttle("recovering", 12000L)).isEqualTo("recovering 12,000/s");
    }
}
