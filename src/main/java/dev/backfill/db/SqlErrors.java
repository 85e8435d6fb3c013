package dev.backfill.db;

import org.apache.flink.annotation.Internal;

import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

import java.sql.SQLException;

/**
 * The one place that reads a {@link SQLException}: what its SQLSTATE means, and the details the
 * server sent with it (message, constraint). Everything outside {@code db/} asks here instead of
 * comparing SQLSTATE strings or casting to the driver's exception type, so the driver stays behind
 * {@code db/}.
 *
 * <p>Two kinds of question. {@link #isRetryable}, {@link #isConnectionError} and {@link
 * #isLockTimeout} look through the whole cause chain, since a retry or a DDL lock wait may wrap the
 * server's error. The others ask about the exception itself, as its handler caught it.
 */
@Internal
public final class SqlErrors {
    /** unique_violation. */
    static final String UNIQUE_VIOLATION = "23505";

    /** check_violation. */
    static final String CHECK_VIOLATION = "23514";

    /** serialization_failure. */
    static final String SERIALIZATION_FAILURE = "40001";

    /** deadlock_detected. */
    static final String DEADLOCK_DETECTED = "40P01";

    /** insufficient_privilege. */
    static final String INSUFFICIENT_PRIVILEGE = "42501";

    /** undefined_function (also: no operator or operator class for the type). */
    static final String UNDEFINED_FUNCTION = "42883";

    /** duplicate_table. */
    static final String DUPLICATE_TABLE = "42P07";

    /** lock_not_available: the lock_timeout of an attempt expired. */
    static final String LOCK_NOT_AVAILABLE = "55P03";

    /** query_canceled: a statement_timeout or lock_timeout cancel, or our own interrupt. */
    static final String QUERY_CANCELED = "57014";

    /** Class 08, connection exception. */
    private static final String CONNECTION_CLASS = "08";

    /** 57P01..57P03: admin shutdown, crash shutdown, cannot connect now. */
    private static final String SHUTDOWN_PREFIX = "57P0";

    /** Class 22, data exception. */
    private static final String DATA_EXCEPTION_CLASS = "22";

    /** Class 42, syntax error or access rule violation. */
    private static final String SYNTAX_OR_ACCESS_CLASS = "42";

    private SqlErrors() {}

    /**
     * True when the error (or a cause) is worth another attempt: serialization failure, deadlock,
     * lock timeout, query cancelled, admin shutdown / crash, or any connection error. The policy
     * that acts on it is {@link Retry}.
     */
    public static boolean isRetryable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String state = state(t);
            if (state != null
                    && (state.equals(SERIALIZATION_FAILURE)
                            || state.equals(DEADLOCK_DETECTED)
                            || state.equals(LOCK_NOT_AVAILABLE)
                            || state.equals(QUERY_CANCELED)
                            || state.startsWith(SHUTDOWN_PREFIX)
                            || state.startsWith(CONNECTION_CLASS))) {
                return true;
            }
        }
        return false;
    }

    /**
     * True when the error (or a cause) means the connection is gone and must be replaced: class 08
     * or a server shutdown (57P0x).
     */
    public static boolean isConnectionError(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String state = state(t);
            if (state != null
                    && (state.startsWith(CONNECTION_CLASS) || state.startsWith(SHUTDOWN_PREFIX))) {
                return true;
            }
        }
        return false;
    }

    /** True when the error (or a cause) is lock_not_available (55P03): a lock_timeout expired. */
    public static boolean isLockTimeout(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (LOCK_NOT_AVAILABLE.equals(state(t))) {
                return true;
            }
        }
        return false;
    }

    /** True when the error is a unique violation (23505). */
    public static boolean isUniqueViolation(SQLException e) {
        return UNIQUE_VIOLATION.equals(e.getSQLState());
    }

    /** True when the error is a check violation (23514). */
    public static boolean isCheckViolation(SQLException e) {
        return CHECK_VIOLATION.equals(e.getSQLState());
    }

    /**
     * True when the error is a data exception (class 22) or a check violation (23514): a value that
     * does not convert to the new type or does not pass its constraint.
     */
    public static boolean isConversionError(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith(DATA_EXCEPTION_CLASS) || isCheckViolation(e));
    }

    /**
     * True when the error is a syntax error or access rule violation (class 42) or a data exception
     * (class 22): the server refused a statement built from the spec's input (an expression, a type
     * name) as written, not for a transient reason.
     */
    public static boolean isSyntaxOrDataError(SQLException e) {
        String state = e.getSQLState();
        return state != null
                && (state.startsWith(SYNTAX_OR_ACCESS_CLASS)
                        || state.startsWith(DATA_EXCEPTION_CLASS));
    }

    /**
     * True when the error is undefined_function (42883), which is also the error for a type without
     * the operator or operator class a statement needs.
     */
    public static boolean isUndefinedFunction(SQLException e) {
        return UNDEFINED_FUNCTION.equals(e.getSQLState());
    }

    /** True when the error is insufficient_privilege (42501). */
    public static boolean isInsufficientPrivilege(SQLException e) {
        return INSUFFICIENT_PRIVILEGE.equals(e.getSQLState());
    }

    /** True when the error is duplicate_table (42P07). */
    public static boolean isDuplicateTable(SQLException e) {
        return DUPLICATE_TABLE.equals(e.getSQLState());
    }

    /**
     * True when the server answered with an error of its own: the error has a SQLSTATE, and not a
     * connection exception (class 08) one.
     */
    public static boolean isServerError(SQLException e) {
        String state = e.getSQLState();
        return state != null && !state.startsWith(CONNECTION_CLASS);
    }

    /**
     * The server's message without the {@code ERROR: } prefix and the detail lines the driver adds
     * to {@link SQLException#getMessage()}; that message when the server sent none (a client-side
     * error).
     */
    public static String serverMessage(SQLException e) {
        ServerErrorMessage server = serverError(e);
        return server != null ? server.getMessage() : e.getMessage();
    }

    /** The constraint the server named in the error, or null when it named none. */
    public static String constraintName(SQLException e) {
        ServerErrorMessage server = serverError(e);
        return server != null ? server.getConstraint() : null;
    }

    /**
     * A serialization failure (40001) of our own making: a failure that a retry will resolve (the
     * conflicting row is gone), for {@link Retry} to retry like the server's.
     */
    public static SQLException serializationFailure(String message, Throwable cause) {
        return new SQLException(message, SERIALIZATION_FAILURE, cause);
    }

    /** A query_canceled error (57014) of our own making, for work stopped by an interrupt. */
    public static SQLException queryCanceled(String message, Throwable cause) {
        return new SQLException(message, QUERY_CANCELED, cause);
    }

    private static String state(Throwable t) {
        return t instanceof SQLException ? ((SQLException) t).getSQLState() : null;
    }

    private static ServerErrorMessage serverError(SQLException e) {
        return e instanceof PSQLException ? ((PSQLException) e).getServerErrorMessage() : null;
    }
}
