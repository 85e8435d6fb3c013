package dev.backfill.db;

import org.postgresql.ds.PGSimpleDataSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

import javax.sql.DataSource;

/**
 * One real PostgreSQL for all the tests of a JVM, started on first use and stopped by a
 * shutdown hook.
 *
 * <p>Used by every test that needs a database ({@code EmbeddedPostgresServerITCase}, the source,
 * sink and job ITCases): each asks {@link #createDatabase(String)} for a fresh database of its
 * own. The binaries are unpacked once into {@code target/pg-bin} and shared by all test JVMs (and
 * kept until {@code mvn clean}); each JVM's cluster lives in its own {@code
 * target/pg-test-<random>/data}, on a free port, and is deleted at exit.
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

    /** {@code <project>/target}, wherever the JVM was started. */
    static Path targetDirectory() {
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
        try (Stream<Path> walk = Files.walk(home)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: target/ is cleaned by mvn clean anyway
        }
    }
}
