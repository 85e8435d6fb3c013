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
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * A small concurrent write load on {@code demo.orders}, so that a demo reorganization runs against
 * a table that changes under it, as a production table would.
 *
 * <p>Started by {@code BackfillCli} for {@code url: embedded} demos, and by the tests. One
 * background thread on one connection ({@code application_name = backfill-demo-load}) runs, at
 * about {@code opsPerSecond}, each in its own autocommit statement:
 *
 * <ul>
 *   <li>inserts of new rows with ids from {@code 10^12 + random} upwards, far above the seeded ids
 *       ({@code 3n}, see {@link DemoData}), and unique emails {@code load-<uuid>@example.com};
 *   <li>updates of the email (to a new unique value) and the amount of a random seeded id;
 *   <li>deletes of a random seeded id.
 * </ul>
 *
 * <p>Counters count rows changed: an update or delete whose random id is already gone changes
 * nothing and counts as a miss. Errors (lock timeouts, a restarted server, a unique violation
 * against another load) are counted, logged at DEBUG, and the load goes on, reconnecting when the
 * connection broke. {@link #close()} stops the thread promptly (interrupt, cancel of the statement
 * in flight, join).
 */
@Internal
public final class DemoLoad implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DemoLoad.class);

    /** The {@code application_name} of the load's connection. */
    public static final String APPLICATION_NAME = "backfill-demo-load";

    /** Inserted ids start above this; seeded ids are far below. */
    public static final long INSERT_ID_BASE = 1_000_000_000_000L;

    private static final long RECONNECT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final DataSource ds;
    private final long intervalNanos;
    private final long maxOperations;
    private final long maxSeededN;
    private final String table;
    private final Thread thread;

    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong inserts = new AtomicLong();
    private final AtomicLong updates = new AtomicLong();
    private final AtomicLong deletes = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();

    private volatile boolean stopping;
    private volatile Statement inFlight;
    private long nextInsertId;

    private DemoLoad(DataSource ds, double opsPerSecond, long maxOperations, long maxSeededId) {
        this.ds = ds;
        this.intervalNanos =
                Double.isInfinite(opsPerSecond) ? 0 : (long) (1_000_000_000L / opsPerSecond);
        this.maxOperations = maxOperations;
        this.maxSeededN = maxSeededId / 3;
        this.table = Identifiers.qualified(DemoData.SCHEMA, DemoData.TABLE);
        this.nextInsertId =
                INSERT_ID_BASE + ThreadLocalRandom.current().nextLong(1_000_000_000L) * 1000;
        this.thread = new Thread(this::run, "backfill-demo-load");
        this.thread.setDaemon(true);
    }

    /**
     * Starts the load until {@link #close()}.
     *
     * @param opsPerSecond target rate; {@link Double#POSITIVE_INFINITY} for as fast as it goes
     * @throws SQLException when {@code demo.orders} cannot be read
     */
    public static DemoLoad start(DataSource ds, double opsPerSecond) throws SQLException {
        return start(ds, opsPerSecond, Long.MAX_VALUE);
    }

    /**
     * Starts the load until {@link #close()} or until {@code maxOperations} operations have been
     * attempted, whichever comes first.
     */
    public static DemoLoad start(DataSource ds, double opsPerSecond, long maxOperations)
            throws SQLException {
        checkArgument(opsPerSecond > 0, "opsPerSecond must be > 0, got %s", opsPerSecond);
        checkArgument(maxOperations > 0, "maxOperations must be > 0, got %s", maxOperations);
        long maxSeededId;
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                LocalSql.maxIdBelow(
                                        Identifiers.qualified(DemoData.SCHEMA, DemoData.TABLE)))) {
            ps.setLong(1, INSERT_ID_BASE);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                maxSeededId = rs.getLong(1);
            }
        }
        DemoLoad load = new DemoLoad(ds, opsPerSecond, maxOperations, maxSeededId);
        LOG.info(
                "starting demo load on {} at {} ops/s (seeded ids up to {})",
                load.table,
                opsPerSecond,
                maxSeededId);
        load.thread.start();
        return load;
    }

    /** Rows inserted. */
    public long inserts() {
        return inserts.get();
    }

    /** Rows updated. */
    public long updates() {
        return updates.get();
    }

    /** Rows deleted. */
    public long deletes() {
        return deletes.get();
    }

    /** Updates and deletes whose random id was already gone. */
    public long misses() {
        return misses.get();
    }

    /** Statements that failed. */
    public long errors() {
        return errors.get();
    }

    /** Operations attempted so far. */
    public long operations() {
        return operations.get();
    }

    /** True while the load thread runs. */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /** Stops the load and waits for its thread; idempotent. */
    @Override
    public void close() {
        stopping = true;
        thread.interrupt();
        try {
            thread.join(1000);
            if (thread.isAlive()) {
                // A statement is waiting (on a lock, say): cancel it on the server.
                Statement s = inFlight;
                if (s != null) {
                    try {
                        s.cancel();
                    } catch (SQLException e) {
                        LOG.debug("could not cancel the demo load's statement: {}", e.toString());
                    }
                }
                thread.join(10_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("the demo load thread did not stop within 11 s");
        }
    }

    private void run() {
        Connection c = null;
        long next = System.nanoTime();
        try {
            while (!stopping && operations.get() < maxOperations) {
                if (intervalNanos > 0) {
                    long now = System.nanoTime();
                    if (next - now > 0) {
                        LockSupport.parkNanos(next - now);
                        if (stopping || Thread.currentThread().isInterrupted()) {
                            break;
                        }
                        continue; // parkNanos may return early
                    }
                    // Do not burst to catch up after a stall of more than a second.
                    next = Math.max(next, now - TimeUnit.SECONDS.toNanos(1)) + intervalNanos;
                }
                try {
                    if (c == null) {
                        c = connect();
                    }
                    operations.incrementAndGet();
                    runOne(c);
                } catch (SQLException e) {
                    if (stopping) {
                        break;
                    }
                    errors.incrementAndGet();
                    LOG.debug("demo load statement failed: {}", e.toString());
                    if (c != null && !isUsable(c)) {
                        Connections.closeQuietly(c);
                        c = null;
                        LockSupport.parkNanos(RECONNECT_BACKOFF_NANOS);
                    }
                }
            }
        } finally {
            Connections.closeQuietly(c);
            LOG.info(
                    "demo load stopped: {} inserts, {} updates, {} deletes, {} misses, {} errors",
                    inserts.get(),
                    updates.get(),
                    deletes.get(),
                    misses.get(),
                    errors.get());
        }
    }

    private Connection connect() throws SQLException {
        Connection c = ds.getConnection();
        try {
            c.setAutoCommit(true);
            c.setClientInfo("ApplicationName", APPLICATION_NAME);
            return c;
        } catch (SQLException e) {
            Connections.closeQuietly(c);
            throw e;
        }
    }

    private static boolean isUsable(Connection c) {
        try {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private void runOne(Connection c) throws SQLException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int dice = random.nextInt(100);
        if (maxSeededN < 1 || dice < 45) {
            insert(c, random);
        } else if (dice < 80) {
            update(c, random);
        } else {
            delete(c, random);
        }
    }

    private void insert(Connection c, ThreadLocalRandom random) throws SQLException {
        long id = nextInsertId++;
        try (PreparedStatement ps = c.prepareStatement(LocalSql.loadInsert(table))) {
            ps.setLong(1, id);
            ps.setLong(2, 1 + random.nextLong(50_000));
            ps.setString(3, "load-" + UUID.randomUUID() + "@example.com");
            ps.setInt(4, 1 + random.nextInt(100_000));
            ps.setString(5, "new");
            count(execute(ps), inserts);
        }
    }

    private void update(Connection c, ThreadLocalRandom random) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LocalSql.loadUpdate(table))) {
            ps.setString(1, "load-" + UUID.randomUUID() + "@example.com");
            ps.setInt(2, 1 + random.nextInt(100));
            ps.setLong(3, randomSeededId(random));
            count(execute(ps), updates);
        }
    }

    private void delete(Connection c, ThreadLocalRandom random) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(LocalSql.loadDelete(table))) {
            ps.setLong(1, randomSeededId(random));
            count(execute(ps), deletes);
        }
    }

    private long randomSeededId(ThreadLocalRandom random) {
        return 3 * (1 + random.nextLong(maxSeededN));
    }

    private int execute(PreparedStatement ps) throws SQLException {
        inFlight = ps;
        try {
            return ps.executeUpdate();
        } finally {
            inFlight = null;
        }
    }

    private void count(int rows, AtomicLong counter) {
        if (rows > 0) {
            counter.addAndGet(rows);
        } else {
            misses.incrementAndGet();
        }
    }
}
