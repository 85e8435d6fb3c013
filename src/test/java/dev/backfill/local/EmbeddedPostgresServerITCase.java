package dev.backfill.local;

import dev.backfill.db.TestingPostgres;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Runs {@link EmbeddedPostgresServer}, {@link DemoData} and {@link DemoLoad} against real
 * PostgreSQL servers: data kept across restarts, a server left behind by a killed JVM, port
 * conflicts, an interrupted first initdb, seeding and the demo load.
 */
class EmbeddedPostgresServerITCase {
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final List<Path> toDelete = new ArrayList<>();
    private final List<Long> pidsToKill = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        for (long pid : pidsToKill) {
            // Only the postgres this test started, if it is still there.
            if (EmbeddedPostgresServer.isRunning(pid)) {
                ProcessHandle.of(pid)
                        .filter(h -> h.info().command().orElse("").endsWith("postgres"))
                        .ifPresent(ProcessHandle::destroy);
            }
        }
        for (Path p : toDelete) {
            deleteRecursively(p);
        }
    }

    @Test
    void dataIsKeptAcrossRestarts() throws Exception {
        Path home = newHome("restart");

        long t0 = System.nanoTime();
        try (EmbeddedPostgresServer first = EmbeddedPostgresServer.start(home, 0)) {
            long coldMs = elapsedMs(t0);
            assertThat(first.jdbcUrl())
                    .isEqualTo("jdbc:postgresql://localhost:" + first.port() + "/postgres");
            assertThat(first.user()).isEqualTo("postgres");
            assertThat(first.serverVersion()).startsWith("17.");
            assertThat(first.dataDirectory()).isEqualTo(home.resolve("data"));
            assertThat(Files.isDirectory(home.resolve("pg"))).isTrue();
            try (Connection c = first.dataSource().getConnection();
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE \"kept\" (\"id\" int PRIMARY KEY, \"v\" text)");
                s.execute("INSERT INTO \"kept\" VALUES (1, 'one'), (2, 'two')");
            }
            System.out.printf("cold start (unpack + initdb + start): %d ms%n", coldMs);
        }
        assertThat(home.resolve("data").resolve("postmaster.pid")).doesNotExist();

        long t1 = System.nanoTime();
        try (EmbeddedPostgresServer second = EmbeddedPostgresServer.start(home, 0)) {
            System.out.printf("warm start (same JVM, existing data): %d ms%n", elapsedMs(t1));
            try (Connection c = second.dataSource().getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM \"kept\"")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(2);
            }
            long pid = second.postmasterPid();
            second.close();
            assertThat(EmbeddedPostgresServer.isRunning(pid)).isFalse();
        }
    }

    @Test
    void serverLeftByKilledJvmIsStoppedAndReplaced() throws Exception {
        Path home = newHome("stale");
        Path bin = TestingPostgres.targetDirectory().resolve("pg-bin");
        Path data = home.resolve("data");
        int port = freePort();

        // A JVM starts the server and is then killed with SIGKILL: its postmaster lives on,
        // holding the port and data/postmaster.pid, but nobody owns it any more.
        Process child =
                new ProcessBuilder(
                                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                                "-cp",
                                System.getProperty("java.class.path"),
                                StaleServerMain.class.getName(),
                                bin.toString(),
                                data.toString(),
                                Integer.toString(port))
                        .redirectError(home.resolve("child-stderr.log").toFile())
                        .start();
        long oldPid;
        try {
            oldPid = awaitReady(child, home.resolve("child-stderr.log"));
        } finally {
            child.destroyForcibly();
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        pidsToKill.add(oldPid);
        assertThat(EmbeddedPostgresServer.isRunning(oldPid)).isTrue();
        assertThat(Files.readAllLines(data.resolve("postmaster.pid")).get(0).trim())
                .isEqualTo(Long.toString(oldPid));

        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(bin, data, port)) {
            // Gone, or a zombie waiting for init to reap it (ProcessHandle calls that alive).
            assertThat(EmbeddedPostgresServer.isRunning(oldPid)).isFalse();
            assertThat(server.postmasterPid()).isNotEqualTo(oldPid);
            assertThat(server.port()).isEqualTo(port);
            try (Connection c = server.dataSource().getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT 1, current_setting('data_directory')")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
                assertThat(Files.isSameFile(Path.of(rs.getString(2)), data)).isTrue();
            }
        }
    }

    @Test
    void serverStillOpenInThisJvmIsNotStopped() throws Exception {
        Path home = newHome("owned");
        Path bin = TestingPostgres.targetDirectory().resolve("pg-bin");
        EmbeddedPostgresServer first = EmbeddedPostgresServer.start(bin, home.resolve("data"), 0);
        toClose.add(first);

        assertThatThrownBy(
                        () -> EmbeddedPostgresServer.start(bin, home.resolve("data"), first.port()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(home.resolve("data").toString())
                .hasMessageContaining(Integer.toString(first.port()))
                .hasMessageContaining("this JVM");
        assertThat(EmbeddedPostgresServer.isRunning(first.postmasterPid())).isTrue();
        try (Connection c = first.dataSource().getConnection();
                Statement s = c.createStatement()) {
            assertThat(s.execute("SELECT 1")).isTrue();
        }
    }

    @Test
    void stalePidFileOfDeadPostmasterIsRemoved() throws Exception {
        Path home = newHome("deadpid");
        Path bin = TestingPostgres.targetDirectory().resolve("pg-bin");
        Path data = home.resolve("data");
        EmbeddedPostgresServer.start(bin, data, 0).close();

        Process gone = new ProcessBuilder("true").start();
        assertThat(gone.waitFor(10, TimeUnit.SECONDS)).isTrue();
        Files.writeString(
                data.resolve("postmaster.pid"),
                gone.pid() + "\n" + data + "\n1700000000\n5432\n/tmp\nlocalhost\n0 0\nready\n");

        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(bin, data, 0)) {
            assertThat(server.postmasterPid()).isNotEqualTo(gone.pid());
            try (Connection c = server.dataSource().getConnection();
                    Statement s = c.createStatement()) {
                assertThat(s.execute("SELECT 1")).isTrue();
            }
        }
    }

    @Test
    void interruptedFirstInitdbIsRedone() throws Exception {
        Path home = newHome("initdb");
        Path bin = TestingPostgres.targetDirectory().resolve("pg-bin");
        Path data = home.resolve("data");
        // What initdb leaves when killed early: some directories and files, no postgresql.conf.
        Files.createDirectories(data.resolve("base").resolve("1"));
        Files.writeString(data.resolve("PG_VERSION"), "17\n");

        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start(bin, data, 0)) {
            try (Connection c = server.dataSource().getConnection();
                    Statement s = c.createStatement()) {
                assertThat(s.execute("SELECT 1")).isTrue();
            }
        }
        assertThat(data.resolve("postgresql.conf")).exists();
    }

    @Test
    void portHeldByNonPostgresGivesClearError() throws Exception {
        Path home = newHome("port");
        Path bin = TestingPostgres.targetDirectory().resolve("pg-bin");
        try (ServerSocket squatter = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = squatter.getLocalPort();
            assertThatThrownBy(() -> EmbeddedPostgresServer.start(bin, home.resolve("data"), port))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("port " + port)
                    .hasMessageContaining(home.resolve("data").toString())
                    .hasMessageContaining("not PostgreSQL");
        }
    }

    @Test
    void portHeldByAnotherPostgresGivesClearError() throws Exception {
        Path home = newHome("otherpg");
        Path bin = TestingPostgres.targetDirectory().resolve("pg-bin");
        TestingPostgres other = TestingPostgres.get();
        assertThatThrownBy(
                        () -> EmbeddedPostgresServer.start(bin, home.resolve("data"), other.port()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("port " + other.port())
                .hasMessageContaining(home.resolve("data").toString())
                .hasMessageContaining("another PostgreSQL server with data directory")
                .hasMessageContaining(other.server().dataDirectory().toString());
    }

    @Test
    void seedsDemoOrdersOnce() throws Exception {
        DataSource ds = TestingPostgres.get().createDatabase("it_seed");

        assertThat(DemoData.seedIfMissing(ds, 10_000)).isTrue();
        assertOrders(ds, 10_000);

        assertThat(DemoData.seedIfMissing(ds, 10_000)).isFalse();
        assertThat(count(ds, "SELECT count(*) FROM \"demo\".\"orders\"")).isEqualTo(10_000);
    }

    @Test
    void seedingInterruptedHalfwayIsRedone() throws Exception {
        DataSource ds = TestingPostgres.get().createDatabase("it_seed_restart");
        // What a process killed while seeding leaves: a half-filled staging table, no orders.
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA \"demo\"");
            s.execute(
                    "CREATE TABLE \"demo\".\"orders_seeding\" (\"id\" bigint NOT NULL,"
                            + " \"customer_id\" bigint NOT NULL, \"email\" text,"
                            + " \"amount\" integer NOT NULL, \"status\" text NOT NULL,"
                            + " \"created_at\" timestamptz NOT NULL DEFAULT now())");
            s.execute(
                    "INSERT INTO \"demo\".\"orders_seeding\""
                            + " (\"id\", \"customer_id\", \"email\", \"amount\", \"status\")"
                            + " SELECT \"n\" * 3, 1, 'x', 1, 'new'"
                            + " FROM generate_series(1, 1234) AS \"g\"(\"n\")");
        }

        assertThat(DemoData.seedIfMissing(ds, 2_500)).isTrue();
        assertOrders(ds, 2_500);
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM \"pg_catalog\".\"pg_class\""
                                        + " WHERE \"relname\" = 'orders_seeding'"))
                .isZero();
    }

    @Test
    void demoLoadWritesAndStopsOnClose() throws Exception {
        DataSource ds = TestingPostgres.get().createDatabase("it_load");
        DemoData.seedIfMissing(ds, 10_000);

        DemoLoad load = DemoLoad.start(ds, 500, 50_000);
        toClose.add(load);
        boolean allKinds =
                waitUntil(() -> load.inserts() > 0 && load.updates() > 0 && load.deletes() > 0);
        assertThat(allKinds)
                .as(
                        "inserts %d, updates %d, deletes %d, errors %d",
                        load.inserts(), load.updates(), load.deletes(), load.errors())
                .isTrue();
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM \"pg_catalog\".\"pg_stat_activity\""
                                        + " WHERE \"application_name\" = 'backfill-demo-load'"))
                .isEqualTo(1);

        load.close();
        assertThat(load.isRunning()).isFalse();
        long inserts = load.inserts();
        long updates = load.updates();
        long deletes = load.deletes();
        long operations = load.operations();
        assertThat(load.errors()).isZero();
        assertThat(inserts + updates + deletes + load.misses()).isEqualTo(operations);

        // The database agrees with the counters, and the load's session is gone.
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM \"demo\".\"orders\" WHERE \"id\" >= "
                                        + DemoLoad.INSERT_ID_BASE))
                .isEqualTo(inserts);
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM \"demo\".\"orders\" WHERE \"id\" < "
                                        + DemoLoad.INSERT_ID_BASE))
                .isEqualTo(10_000 - deletes);
        assertThat(
                        waitUntil(
                                () ->
                                        countUnchecked(
                                                        ds,
                                                        "SELECT count(*) FROM"
                                                                + " \"pg_catalog\".\"pg_stat_activity\""
                                                                + " WHERE \"application_name\" ="
                                                                + " 'backfill-demo-load'")
                                                == 0))
                .isTrue();
        assertThat(load.inserts()).isEqualTo(inserts);
        assertThat(load.updates()).isEqualTo(updates);
        assertThat(load.deletes()).isEqualTo(deletes);
        assertThat(load.operations()).isEqualTo(operations);
        // Still unique where not NULL, after the load's email updates.
        assertThat(
                        count(
                                ds,
                                "SELECT count(\"email\") - count(DISTINCT \"email\")"
                                        + " FROM \"demo\".\"orders\""))
                .isZero();
    }

    // ------------------------------------------------------------------ helpers

    private static void assertOrders(DataSource ds, long rows) throws SQLException {
        assertThat(count(ds, "SELECT count(*) FROM \"demo\".\"orders\"")).isEqualTo(rows);
        assertThat(count(ds, "SELECT min(\"id\") FROM \"demo\".\"orders\"")).isEqualTo(3);
        assertThat(count(ds, "SELECT max(\"id\") FROM \"demo\".\"orders\"")).isEqualTo(3 * rows);
        long nullEmails =
                count(ds, "SELECT count(*) FROM \"demo\".\"orders\" WHERE \"email\" IS NULL");
        assertThat(nullEmails).isEqualTo(rows / 25);
        assertThat(count(ds, "SELECT count(DISTINCT \"email\") FROM \"demo\".\"orders\""))
                .isEqualTo(rows - nullEmails);
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM \"demo\".\"orders\""
                                        + " WHERE \"email\" <> 'user' || \"id\" || '@example.com'"))
                .isZero();
        // The primary key is there, with the final name.
        assertThat(
                        count(
                                ds,
                                "SELECT count(*) FROM \"pg_catalog\".\"pg_indexes\""
                                        + " WHERE \"schemaname\" = 'demo'"
                                        + " AND \"indexname\" = 'orders_pkey'"))
                .isEqualTo(1);
        try (Connection c = ds.getConnection();
                PreparedStatement ps =
                        c.prepareStatement(
                                "INSERT INTO \"demo\".\"orders\" (\"id\", \"customer_id\","
                                        + " \"amount\", \"status\") VALUES (3, 1, 1, 'new')")) {
            assertThatThrownBy(ps::executeUpdate).isInstanceOf(SQLException.class);
        }
    }

    private static long count(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long countUnchecked(DataSource ds, String sql) {
        try {
            return count(ds, sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls until the condition holds or {@link #DEADLINE} passes. */
    private static boolean waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** Reads the child's stdout until it reports {@code READY <postmaster pid>}. */
    private static long awaitReady(Process child, Path stderrLog) throws Exception {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader =
                new Thread(
                        () -> {
                            try (BufferedReader r =
                                    new BufferedReader(
                                            new InputStreamReader(
                                                    child.getInputStream(),
                                                    StandardCharsets.UTF_8))) {
                                String line;
                                while ((line = r.readLine()) != null) {
                                    lines.add(line);
                                }
                            } catch (IOException ignored) {
                                // the child was killed
                            }
                            lines.add("EOF");
                        },
                        "stale-child-stdout");
        reader.setDaemon(true);
        reader.start();
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = lines.poll(Math.max(left, 0), TimeUnit.NANOSECONDS);
            if (line == null || line.equals("EOF")) {
                child.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(
                        "the child JVM did not report READY; its stderr:\n"
                                + Files.readString(stderrLog));
            }
            if (line.startsWith("READY ")) {
                return Long.parseLong(line.substring("READY ".length()).trim());
            }
        }
    }

    private Path newHome(String name) throws IOException {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        Path home = TestingPostgres.targetDirectory().resolve("pg-it-" + name + "-" + suffix);
        Files.createDirectories(home);
        toDelete.add(home);
        return home;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static long elapsedMs(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /**
     * The child JVM of {@link #serverLeftByKilledJvmIsStoppedAndReplaced()}: starts a server,
     * prints {@code READY <postmaster pid>}, and waits to be killed with SIGKILL, as a crashed
     * BackfillCli would be.
     */
    public static final class StaleServerMain {
        private StaleServerMain() {}

        public static void main(String[] args) throws Exception {
            EmbeddedPostgresServer server =
                    EmbeddedPostgresServer.start(
                            Path.of(args[0]), Path.of(args[1]), Integer.parseInt(args[2]));
            System.out.println("READY " + server.postmasterPid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
