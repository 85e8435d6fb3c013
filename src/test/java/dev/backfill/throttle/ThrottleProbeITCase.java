package dev.backfill.throttle;

import dev.backfill.db.TestingPostgres;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.Failpoints;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The throttle's readings of a real PostgreSQL ({@link ThrottleProbe}): a session waiting on a row
 * lock held by one of the reorg's sessions counts as waiting on us, and as another active session;
 * the embedded server has no replica (-1); the probe failpoint makes the probe sleep on the server.
 */
class ThrottleProbeITCase {
    private static final String OURS = "backfill:probe-it";

    @AfterEach
    void disarm() {
        Failpoints.disarmAll();
    }

    @Test
    void aSessionWaitingOnOurLockIsCounted() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "throttle_probe_it",
                        "CREATE TABLE t (id int PRIMARY KEY, v int)",
                        "INSERT INTO t VALUES (1, 0)");
        try (Connection probe = ds.getConnection();
                Connection ours = ds.getConnection();
                Connection theirs = ds.getConnection()) {
            try (Statement st = probe.createStatement()) {
                st.execute("SET application_name = '" + OURS + "'");
            }
            assertThat(ThrottleProbe.activity(probe, OURS))
                    .isEqualTo(new ThrottleProbe.Activity(0, 0, -1));

            try (Statement st = ours.createStatement()) {
                st.execute("SET application_name = '" + OURS + "'");
            }
            ours.setAutoCommit(false);
            try (Statement st = ours.createStatement()) {
                st.execute("SELECT * FROM t WHERE id = 1 FOR SHARE");
            }
            CompletableFuture<Void> blocked =
                    CompletableFuture.runAsync(
                            () -> {
                                try (Statement st = theirs.createStatement()) {
                                    st.execute("UPDATE t SET v = 1 WHERE id = 1");
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                }
                            });
            TestingReorgs.await(
                    "the other session waits on our row lock",
                    Duration.ofSeconds(30),
                    () -> ThrottleProbe.activity(probe, OURS).waitingOnUs() == 1);
            ThrottleProbe.Activity a = ThrottleProbe.activity(probe, OURS);
            assertThat(a.activeOthers()).as("the waiting session is active").isEqualTo(1);
            assertThat(a.replicaLagMillis()).as("no replica").isEqualTo(-1);

            ours.commit();
            blocked.get();
            assertThat(ThrottleProbe.activity(probe, OURS))
                    .isEqualTo(new ThrottleProbe.Activity(0, 0, -1));
        }
    }

    @Test
    void theProbeFailpointSleepsOnTheServer() throws Exception {
        DataSource ds = TestingPostgres.get().createDatabase("throttle_probe_sleep_it");
        try (Connection c = ds.getConnection()) {
            Failpoints.armDelay(Failpoints.THROTTLE_PROBE, Duration.ofMillis(200));
            assertThat(ThrottleProbe.probeMillis(c)).isGreaterThanOrEqualTo(200.0);
            Failpoints.disarm(Failpoints.THROTTLE_PROBE);
            assertThat(Failpoints.delay(Failpoints.THROTTLE_PROBE)).isZero();
        }
    }
}
