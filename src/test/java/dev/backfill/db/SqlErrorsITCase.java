package dev.backfill.db;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** {@link SqlErrors} on the errors a real PostgreSQL raises. */
class SqlErrorsITCase {
    private DataSource ds;

    @BeforeEach
    void createTable() throws SQLException {
        ds = TestingPostgres.get().createDatabase("sql_errors_it");
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            st.execute(
                    "CREATE TABLE t (id integer PRIMARY KEY, code text,"
                            + " CONSTRAINT \"Code Unique\" UNIQUE (code),"
                            + " CONSTRAINT positive CHECK (id > 0))");
            st.execute("INSERT INTO t VALUES (1, 'a')");
        }
    }

    private SQLException failing(String sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            SQLException e = catchThrowableOfType(SQLException.class, () -> st.execute(sql));
            assertThat((Object) e).as(sql).isNotNull();
            return e;
        }
    }

    @Test
    void aUniqueViolationNamesItsConstraint() throws SQLException {
        SQLException e = failing("INSERT INTO t VALUES (2, 'a')");
        assertThat(SqlErrors.isUniqueViolation(e)).isTrue();
        assertThat(SqlErrors.isConversionError(e)).isFalse();
        assertThat(SqlErrors.isRetryable(e)).isFalse();
        assertThat(SqlErrors.constraintName(e)).isEqualTo("Code Unique");
        assertThat(SqlErrors.serverMessage(e))
                .isEqualTo("duplicate key value violates unique constraint \"Code Unique\"");
    }

    @Test
    void aCheckViolationIsAConversionError() throws SQLException {
        SQLException e = failing("INSERT INTO t VALUES (-1, 'b')");
        assertThat(SqlErrors.isCheckViolation(e)).isTrue();
        assertThat(SqlErrors.isConversionError(e)).isTrue();
        assertThat(SqlErrors.constraintName(e)).isEqualTo("positive");
    }

    @Test
    void aBadCastIsAConversionErrorWithThePlainServerMessage() throws SQLException {
        SQLException e = failing("SELECT 'x'::integer");
        assertThat(SqlErrors.isConversionError(e)).isTrue();
        assertThat(SqlErrors.isSyntaxOrDataError(e)).isTrue();
        assertThat(e.getMessage()).startsWith("ERROR: ");
        assertThat(SqlErrors.serverMessage(e))
                .isEqualTo("invalid input syntax for type integer: \"x\"");
        assertThat(SqlErrors.constraintName(e)).isNull();
    }

    @Test
    void aMissingOrderingIsAnUndefinedFunction() throws SQLException {
        SQLException e = failing("SELECT '{}'::json ORDER BY 1");
        assertThat(SqlErrors.isUndefinedFunction(e)).isTrue();
        assertThat(SqlErrors.isSyntaxOrDataError(e)).isTrue();
        assertThat(SqlErrors.isRetryable(e)).isFalse();
    }

    @Test
    void anExistingTableIsADuplicateTable() throws SQLException {
        SQLException e = failing("CREATE TABLE t (id integer)");
        assertThat(SqlErrors.isDuplicateTable(e)).isTrue();
        assertThat(SqlErrors.isServerError(e)).isTrue();
    }

    @Test
    void anExpiredLockTimeoutIsALockTimeoutAndRetryable() throws SQLException {
        try (Connection holder = ds.getConnection();
                Statement hold = holder.createStatement()) {
            holder.setAutoCommit(false);
            hold.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE");
            SQLException e;
            try (Connection waiter = ds.getConnection();
                    Statement wait = waiter.createStatement()) {
                wait.execute("SET lock_timeout = '50ms'");
                e = catchThrowableOfType(SQLException.class, () -> wait.execute("SELECT * FROM t"));
            }
            holder.rollback();
            assertThat((Object) e).isNotNull();
            assertThat(SqlErrors.isLockTimeout(e)).isTrue();
            assertThat(SqlErrors.isRetryable(e)).isTrue();
            assertThat(SqlErrors.isConnectionError(e)).isFalse();
        }
    }
}
