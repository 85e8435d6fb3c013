package dev.backfill.local;

import dev.backfill.db.Connections;
import dev.backfill.db.Identifiers;

import org.apache.flink.annotation.Internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Seeds the demo table {@code demo.orders} that the embedded mode reorganizes.
 *
 * <p>Called by {@code BackfillCli} for {@code url: embedded} when the spec asks for demo rows, and
 * by the tests.
 *
 * <p>The table:
 *
 * <pre>
 * "id" bigint PRIMARY KEY, "customer_id" bigint NOT NULL, "email" text, "amount" integer NOT NULL,
 * "status" text NOT NULL, "created_at" timestamptz NOT NULL DEFAULT now()
 * </pre>
 *
 * <p>Row {@code n} (1..rows) has id {@code 3n} (sparse keys, so key ranges are not dense), email
 * {@code user<id>@example.com} except every 25th row (4 %), whose email is NULL: the non-NULL
 * emails are unique, so a unique index on email can be built. Rows are generated set-based with
 * {@code generate_series}, 100,000 per transaction so progress shows in the log.
 *
 * <p>Restartable: the rows go into {@code demo.orders_seeding}, which gets its primary key and is
 * renamed to {@code demo.orders} in one final transaction. If the process dies while seeding,
 * {@code demo.orders} does not exist yet and the next call drops the half-filled staging table and
 * seeds again. A session advisory lock keeps two seeders of one database apart.
 */
@Internal
public final class DemoData {
    private static final Logger LOG = LoggerFactory.getLogger(DemoData.class);

    public static final String SCHEMA = "demo";
    public static final String TABLE = "orders";
    static final String STAGING_TABLE = "orders_seeding";

    /** Rows per transaction. */
    static final long CHUNK_ROWS = 100_000;

    /** Every NULL_EVERY-th row has a NULL email. */
    static final long NULL_EVERY = 25;

    /** pg_advisory_lock key for seeding ("backfill" in ASCII). */
    private static final long SEED_LOCK_KEY = 0x6261636b66696c6cL;

    private DemoData() {}

    /**
     * Creates and fills {@code demo.orders} with {@code rows} rows unless it exists.
     *
     * @return true when this call created the table, false when it was already there
     */
    public static boolean seedIfMissing(DataSource ds, long rows) throws SQLException {
        checkArgument(rows >= 0, "rows must be >= 0, got %s", rows);
        String table = Identifiers.qualified(SCHEMA, TABLE);
        String staging = Identifiers.qualified(SCHEMA, STAGING_TABLE);
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                s.execute(LocalSql.advisoryLock(SEED_LOCK_KEY));
            }
            try {
                if (tableExists(c, SCHEMA, TABLE)) {
                    LOG.info("{} exists; not seeding", table);
                    return false;
                }
                seed(c, rows, table, staging);
                return true;
            } finally {
                if (!c.isClosed()) {
                    if (!c.getAutoCommit()) {
                        Connections.rollbackQuietly(c);
                        c.setAutoCommit(true);
                    }
                    try (Statement s = c.createStatement()) {
                        s.execute(LocalSql.advisoryUnlock(SEED_LOCK_KEY));
                    }
                }
            }
        }
    }

    private static void seed(Connection c, long rows, String table, String staging)
            throws SQLException {
        long t0 = System.nanoTime();
        try (Statement s = c.createStatement()) {
            s.execute(LocalSql.createSchema(SCHEMA));
            if (tableExists(c, SCHEMA, STAGING_TABLE)) {
                LOG.warn(
                        "found {} from an interrupted seed; dropping it and seeding again",
                        staging);
            }
            s.execute(LocalSql.dropTable(staging));
            s.execute(LocalSql.createDemoTable(staging));
        }
        LOG.info("seeding {} with {} rows", table, rows);

        // created_at: one second apart, the newest row about now.
        long baseEpochSeconds = System.currentTimeMillis() / 1000 - rows;
        String insert = LocalSql.seedDemoRows(staging, NULL_EVERY);
        c.setAutoCommit(false);
        try (PreparedStatement ps = c.prepareStatement(insert)) {
            for (long first = 1; first <= rows; first += CHUNK_ROWS) {
                long last = Math.min(rows, first + CHUNK_ROWS - 1);
                ps.setLong(1, baseEpochSeconds);
                ps.setLong(2, first);
                ps.setLong(3, last);
                ps.executeUpdate();
                c.commit();
                LOG.info(
                        "seeded {} of {} rows ({} %)",
                        last, rows, rows == 0 ? 100 : last * 100 / rows);
            }
        }

        // Publish: primary key and rename in one transaction, so demo.orders only ever exists
        // complete.
        try (Statement s = c.createStatement()) {
            s.execute(LocalSql.addPrimaryKey(staging, TABLE + "_pkey"));
            s.execute(LocalSql.renameTable(staging, TABLE));
        }
        c.commit();
        c.setAutoCommit(true);
        try (Statement s = c.createStatement()) {
            s.execute(LocalSql.analyze(table));
        }
        LOG.info(
                "seeded {} with {} rows in {} ms",
                table,
                rows,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    static boolean tableExists(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LocalSql.tableExists())) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }
}
