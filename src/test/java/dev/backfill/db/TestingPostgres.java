package dev.backfill.db;

import dev.backfill.local.EmbeddedPostgresServer;

import org.postgresql.ds.PGSimpleDataSource;

import javax.sql.DataSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One real PostgreSQL for all the tests of a JVM, started on first use and stopped by a shutdown
 * hook.
 *
 * <p>Used by every test that needs a database ({@code EmbeddedPostgresServerITCase}, the source,
 * sink and job ITCases): each asks {@link #createDatabase(String)} for a fresh database of its own.
 * The binaries are unpacked once into {@code target/pg-bin} and shared by all test JVMs (and kept
 * until {@code mvn clean}); each JVM's cluster lives in its own {@code
 * target/pg-test-<random>/data}, on a free port, and is deleted at exit. Clusters left by test JVMs
 * that were killed (kill -9, a timeout) are stopped and deleted by the next one.
 */
public final class TestingPostgres {
    private static TestingPostgres instance;

    private final EmbeddedPostgresServer server;
    private final Path home;

    private TestingPostgres(EmbeddedPostgresServer server, Path home) {
        this.server = server;
        this.home = home;
    }

    /** The JVM's server, started on the first call. */
    public static synchronized TestingPostgres get() {
        if (instance == null) {
            Path target = targetDirectory();
            sweepLeftovers(target);
            Path home = target.resolve("pg-test-" + UUID.randomUUID().toString().substring(0, 8));
            EmbeddedPostgresServer server;
            try {
                server =
                        EmbeddedPostgresServer.start(
                                target.resolve("pg-bin"), home.resolve("data"), 0);
            } catch (IOException e) {
                throw new UncheckedIOException("could not start the test PostgreSQL", e);
            }
            TestingPostgres started = new TestingPostgres(server, home);
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(started::shutdown, "testing-postgres-shutdown"));
            instance = started;
        }
        return instance;
    }

    /**
     * Stops and deletes the servers of test JVMs that were killed before their shutdown hook ran
     * (their postmasters live on): a {@code pg-test-*} directory whose zonky lock nobody holds.
     * Directories of live test JVMs (lock held) are left alone, and so are directories without a
     * lock younger than ten minutes (a JVM may be running initdb there right now).
     */
    private static void sweepLeftovers(Path target) {
        if (!Files.isDirectory(target)) {
            return;
        }
        List<Path> homes;
        try (Stream<Path> list = Files.list(target)) {
            homes =
                    list.filter(p -> p.getFileName().toString().startsWith("pg-test-"))
                            .collect(Collectors.toList());
        } catch (IOException e) {
            return;
        }
        for (Path home : homes) {
            Path data = home.resolve("data");
            Path lock = data.resolve("epg-lock");
            try {
                if (!Files.exists(lock)) {
                    Instant modified = Files.getLastModifiedTime(home).toInstant();
                    if (modified.isBefore(Instant.now().minus(Duration.ofMinutes(10)))) {
                        deleteRecursively(home);
                    }
                    continue;
                }
                try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE);
                        FileLock held = channel.tryLock()) {
                    if (held == null) {
                        continue; // a live test JVM
                    }
                } catch (OverlappingFileLockException e) {
                    continue; // this JVM
                }
                if (Files.exists(data.resolve("postmaster.pid"))) {
                    // Starting on the directory stops its orphaned postmaster; then close.
                    EmbeddedPostgresServer.start(target.resolve("pg-bin"), data, 0).close();
                }
                deleteRecursively(home);
            } catch (IOException | RuntimeException e) {
                // best effort; leave it for mvn clean
            }
        }
    }

    /**
     * The build directory ({@code <project>/target}, or whatever the build put the test classes
     * under), wherever the JVM was started.
     */
    public static Path targetDirectory() {
        try {
            Path testClasses =
                    Path.of(
                            TestingPostgres.class
                                    .getProtectionDomain()
                                    .getCodeSource()
                                    .getLocation()
                                    .toURI());
            if (Files.isDirectory(testClasses) && testClasses.getParent() != null) {
                return testClasses.getParent();
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall back to the project directory
        }
        String basedir = System.getProperty("basedir");
        Path base = basedir != null ? Path.of(basedir) : Path.of("").toAbsolutePath();
        return base.resolve("target");
    }

    public EmbeddedPostgresServer server() {
        return server;
    }

    public int port() {
        return server.port();
    }

    /** {@code jdbc:postgresql://localhost:PORT/<db>}; user {@code postgres}, no password. */
    public String jdbcUrl(String db) {
        return server.jdbcUrl(db);
    }

    /** Drops database {@code name} if it exists, creates it empty, and returns a source for it. */
    public DataSource createDatabase(String name) {
        String quoted = Identifiers.quote(name);
        try (Connection c = server.dataSource().getConnection();
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)");
            s.execute("CREATE DATABASE " + quoted);
        } catch (SQLException e) {
            throw new IllegalStateException("could not create database " + name, e);
        }
        return dataSource(name);
    }

    /** A source for an existing database. */
    public PGSimpleDataSource dataSource(String db) {
        return server.dataSource(db);
    }

    private void shutdown() {
        server.close();
        try {
            deleteRecursively(home);
        } catch (IOException e) {
            // best effort: target/ is cleaned by mvn clean anyway
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
