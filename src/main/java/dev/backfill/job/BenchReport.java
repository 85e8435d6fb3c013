package dev.backfill.job;

import dev.backfill.db.Catalog;

import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Locale;

/**
 * Prints one line of {@code scripts/bench}: a finished reorg's rows, its prepare→public seconds and
 * rows/s, read from the catalog. Usage: {@code BenchReport JDBC_URL REORG_ID}.
 */
public final class BenchReport {
    private BenchReport() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BenchReport JDBC_URL REORG_ID");
            System.exit(2);
        }
        // A plain CLI, outside Flink: DriverManager finds the driver on the application classpath.
        try (Connection c = DriverManager.getConnection(args[0], "postgres", null)) {
            Catalog.Reorg r =
                    Catalog.find(c, args[1])
                            .orElseThrow(() -> new IllegalArgumentException("no reorg " + args[1]));
            if (r.finishedAt == null) {
                throw new IllegalStateException("reorg " + args[1] + " is " + r.state.value());
            }
            double seconds =
                    Duration.between(r.startedAt.toInstant(), r.finishedAt.toInstant()).toMillis()
                            / 1000.0;
            System.out.println(
                    String.format(
                            Locale.ROOT,
                            "%-10d %12.1f %12.0f",
                            r.rowsDone,
                            seconds,
                            r.rowsDone / seconds));
        }
    }
}
