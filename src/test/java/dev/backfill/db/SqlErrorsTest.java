package dev.backfill.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/** Tests for {@link SqlErrors} on constructed exceptions, as the driver builds them. */
class SqlErrorsTest {
    private static SQLException error(String state) {
        return new SQLException("boom " + state, state);
    }

    /** A driver exception carrying the server's fields, as the wire protocol sends them. */
    private static PSQLException server(String state, String message, String constraint) {
        StringBuilder fields = new StringBuilder();
        fields.append("SERROR\0VERROR\0C").append(state).append('\0');
        fields.append('M').append(message).append('\0');
        fields.append("Dthe detail line\0");
        if (constraint != null) {
            fields.append('n').append(constraint).append('\0');
        }
        return new PSQLException(new ServerErrorMessage(fields.toString()));
    }

    private static SQLException wrapped(SQLException cause) {
        return new SQLException("wrapper", null, new RuntimeException("middle", cause));
    }

    @ParameterizedTest
    @ValueSource(strings = {"40001", "40P01", "55P03", "57014", "08006", "08001", "57P01", "57P03"})
    void transientErrorsAreRetryableAlsoAsACause(String state) {
        assertThat(SqlErrors.isRetryable(error(state))).isTrue();
        assertThat(SqlErrors.isRetryable(wrapped(error(state)))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"23505", "23514", "22P02", "42P01", "42883", "57000", "XX000"})
    void otherErrorsAreNotRetryable(String state) {
        assertThat(SqlErrors.isRetryable(error(state))).isFalse();
        assertThat(SqlErrors.isRetryable(wrapped(error(state)))).isFalse();
    }

    @Test
    void anErrorWithoutStateIsNothing() {
        SQLException none = new SQLException("no state");
        assertThat(SqlErrors.isRetryable(none)).isFalse();
        assertThat(SqlErrors.isConnectionError(none)).isFalse();
        assertThat(SqlErrors.isLockTimeout(none)).isFalse();
        assertThat(SqlErrors.isUniqueViolation(none)).isFalse();
        assertThat(SqlErrors.isCheckViolation(none)).isFalse();
        assertThat(SqlErrors.isConversionError(none)).isFalse();
        assertThat(SqlErrors.isSyntaxOrDataError(none)).isFalse();
        assertThat(SqlErrors.isUndefinedFunction(none)).isFalse();
        assertThat(SqlErrors.isInsufficientPrivilege(none)).isFalse();
        assertThat(SqlErrors.isDuplicateTable(none)).isFalse();
        assertThat(SqlErrors.isServerError(none)).isFalse();
    }

    @Test
    void connectionErrorsAreClass08AndShutdownsAlsoAsACause() {
        assertThat(SqlErrors.isConnectionError(error("08006"))).isTrue();
        assertThat(SqlErrors.isConnectionError(error("08001"))).isTrue();
        assertThat(SqlErrors.isConnectionError(error("57P01"))).isTrue();
        assertThat(SqlErrors.isConnectionError(wrapped(error("08003")))).isTrue();
        assertThat(SqlErrors.isConnectionError(error("40001"))).isFalse();
        assertThat(SqlErrors.isConnectionError(error("57014"))).isFalse();
    }

    @Test
    void lockTimeoutIs55P03AlsoAsACause() {
        assertThat(SqlErrors.isLockTimeout(error("55P03"))).isTrue();
        assertThat(SqlErrors.isLockTimeout(wrapped(error("55P03")))).isTrue();
        assertThat(SqlErrors.isLockTimeout(error("57014"))).isFalse();
        assertThat(SqlErrors.isLockTimeout(error("40P01"))).isFalse();
    }

    @Test
    void constraintErrorsAreReadFromTheExceptionItself() {
        assertThat(SqlErrors.isUniqueViolation(error("23505"))).isTrue();
        assertThat(SqlErrors.isUniqueViolation(error("23514"))).isFalse();
        assertThat(SqlErrors.isUniqueViolation(wrapped(error("23505")))).isFalse();
        assertThat(SqlErrors.isCheckViolation(error("23514"))).isTrue();
        assertThat(SqlErrors.isCheckViolation(error("23502"))).isFalse();
        assertThat(SqlErrors.isDuplicateTable(error("42P07"))).isTrue();
        assertThat(SqlErrors.isDuplicateTable(error("42P01"))).isFalse();
        assertThat(SqlErrors.isUndefinedFunction(error("42883"))).isTrue();
        assertThat(SqlErrors.isUndefinedFunction(error("42804"))).isFalse();
        assertThat(SqlErrors.isInsufficientPrivilege(error("42501"))).isTrue();
        assertThat(SqlErrors.isInsufficientPrivilege(error("42502"))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"22P02", "22003", "22001", "22012", "23514"})
    void dataExceptionsAndCheckViolationsAreConversionErrors(String state) {
        assertThat(SqlErrors.isConversionError(error(state))).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"23505", "23502", "42804", "40001", "XX000"})
    void otherErrorsAreNotConversionErrors(String state) {
        assertThat(SqlErrors.isConversionError(error(state))).isFalse();
    }

    @Test
    void syntaxOrDataErrorsAreClasses42And22() {
        assertThat(SqlErrors.isSyntaxOrDataError(error("42601"))).isTrue();
        assertThat(SqlErrors.isSyntaxOrDataError(error("42704"))).isTrue();
        assertThat(SqlErrors.isSyntaxOrDataError(error("22P02"))).isTrue();
        assertThat(SqlErrors.isSyntaxOrDataError(error("23514"))).isFalse();
        assertThat(SqlErrors.isSyntaxOrDataError(error("08006"))).isFalse();
    }

    @Test
    void aServerErrorHasAStateOutsideClass08() {
        assertThat(SqlErrors.isServerError(error("28000"))).isTrue();
        assertThat(SqlErrors.isServerError(error("3D000"))).isTrue();
        assertThat(SqlErrors.isServerError(error("08001"))).isFalse();
        assertThat(SqlErrors.isServerError(error("08006"))).isFalse();
    }

    @Test
    void serverMessageDropsTheSeverityPrefixAndTheDetail() {
        PSQLException e = server("22P02", "invalid input syntax for type integer: \"x\"", null);
        assertThat(e.getMessage()).startsWith("ERROR: ").contains("the detail line");
        assertThat(e.getSQLState()).isEqualTo("22P02");
        assertThat(SqlErrors.serverMessage(e))
                .isEqualTo("invalid input syntax for type integer: \"x\"");
    }

    @Test
    void serverMessageOfAClientErrorIsItsMessage() {
        assertThat(SqlErrors.serverMessage(error("08001"))).isEqualTo("boom 08001");
    }

    @Test
    void constraintNameIsTheOneTheServerNamed() {
        assertThat(SqlErrors.constraintName(server("23505", "duplicate key", "Orders_pkey")))
                .isEqualTo("Orders_pkey");
        assertThat(SqlErrors.constraintName(server("22P02", "invalid input", null))).isNull();
        assertThat(SqlErrors.constraintName(error("23505"))).isNull();
    }

    @Test
    void madeErrorsCarryTheirStateMessageAndCause() {
        SQLException cause = error("23505");
        SQLException retry = SqlErrors.serializationFailure("vanished", cause);
        assertThat(retry.getSQLState()).isEqualTo("40001");
        assertThat(retry.getMessage()).isEqualTo("vanished");
        assertThat(retry.getCause()).isSameAs(cause);
        assertThat(SqlErrors.isRetryable(retry)).isTrue();

        InterruptedException interrupt = new InterruptedException();
        SQLException cancelled = SqlErrors.queryCanceled("interrupted", interrupt);
        assertThat(cancelled.getSQLState()).isEqualTo("57014");
        assertThat(cancelled.getMessage()).isEqualTo("interrupted");
        assertThat(cancelled.getCause()).isSameAs(interrupt);
    }
}
