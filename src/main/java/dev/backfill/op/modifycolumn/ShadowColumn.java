package dev.backfill.op.modifycolumn;

import dev.backfill.db.Identifiers;
import dev.backfill.db.SingleExpression;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;
import dev.backfill.op.addindex.IndexTable;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The shadow column a modify-column reorg (issue #4) fills: {@code _backfill_new_<column>} of the
 * new type, next to the column it replaces, in the same table. Like {@link IndexTable} for
 * add-index, it is resolved once on the client and shipped to the Flink job with the graph.
 *
 * <p>Holds the table, the column being changed, the new type (as the spec wrote it, e.g. {@code
 * bigint} or {@code numeric(12,2)}), the {@code using} expression that computes the new value from
 * the row (the spec's {@code using}, or {@code CAST("column" AS type)} by default), and the names
 * derived from the reorg id: the trigger function (in schema {@code backfill}), the trigger, and
 * the NOT NULL check constraint of the cut-over.
 *
 * <p>The {@code using} expression is SQL written by the operator, over the row's columns by bare
 * name (or qualified with the table's name, never with its schema); it is put into SQL text as it
 * is, in parentheses and followed by a newline (so a trailing {@code --} comment cannot swallow the
 * rest of the statement). It must be deterministic over the row: verification recomputes it. The
 * constructor refuses a {@code using} or a {@code type} that is not one expression ({@link
 * SingleExpression}), so neither can end the statement it is put into or leave its parentheses. The
 * type is the server's canonical spelling, {@code format_type} of the spec's type as {@code
 * to_regtype} and {@code to_regtypemod} read it ({@link #resolveType}).
 */
@Internal
public final class ShadowColumn implements Serializable {
    private static final long serialVersionUID = 1L;

    static final String NEW_PREFIX = "_backfill_new_";
    static final String OLD_PREFIX = "_backfill_old_";
    static final String FUNCTION_SUFFIX = "_shadow";
    static final String TRIGGER_PREFIX = "~";

    private final TableInfo table;
    private final Column column;
    private final String type;
    private final String using; // null: CAST(column AS type)
    private final String objectPrefix;

    /**
     * @param using the spec's {@code using} expression, or null for {@code CAST("column" AS type)}
     * @throws IllegalArgumentException when the type or the expression is blank, or the column's
     *     name is too long for {@code _backfill_new_<column>} to be a PostgreSQL identifier
     */
    public ShadowColumn(TableInfo table, Column column, String type, String using, String reorgId) {
        this.table = Objects.requireNonNull(table, "table");
        this.column = Objects.requireNonNull(column, "column");
        this.type = Objects.requireNonNull(type, "type").strip();
        if (this.type.isEmpty()) {
            throw new IllegalArgumentException(
                    "the new type of column " + column.name() + " is empty");
        }
        if (using != null && using.isBlank()) {
            throw new IllegalArgumentException(
                    "the using expression of column " + column.name() + " is empty");
        }
        String typeProblem = SingleExpression.problem(this.type);
        if (typeProblem != null) {
            throw new IllegalArgumentException(
                    "the new type of column "
                            + column.name()
                            + ", "
                            + this.type
                            + ", "
                            + typeProblem);
        }
        this.using = using == null ? null : using.strip();
        String usingProblem = this.using == null ? null : SingleExpression.problem(this.using);
        if (usingProblem != null) {
            throw new IllegalArgumentException(
                    "the using expression of column "
                            + column.name()
                            + ", "
                            + this.using
                            + ", "
                            + usingProblem);
        }
        this.objectPrefix = IndexTable.objectPrefix(Objects.requireNonNull(reorgId, "reorgId"));
        for (String n : new String[] {shadowName(), oldName()}) {
            if (n.getBytes(StandardCharsets.UTF_8).length > Identifiers.MAX_BYTES) {
                // PostgreSQL would silently truncate it, and two columns could collide.
                throw new IllegalArgumentException(
                        "column name "
                                + column.name()
                                + " is too long: "
                                + n
                                + " exceeds PostgreSQL's "
                                + Identifiers.MAX_BYTES
                                + "-byte identifier limit");
            }
        }
    }

    /**
     * Resolves the column against the table. Fails naming the column and the table's columns when
     * it does not exist, and when the name is too long to be shadowed.
     */
    public static ShadowColumn resolve(
            TableInfo table, String column, String type, String using, String reorgId)
            throws TableInfo.TableException {
        Column c =
                table.column(column)
                        .orElseThrow(
                                () ->
                                        new TableInfo.TableException(
                                                "column "
                                                        + column
                                                        + " does not exist in table "
                                                        + table.displayName()
                                                        + "; its columns are "
                                                        + table.columns().stream()
                                                                .map(Column::name)
                                                                .toList()));
        try {
            return new ShadowColumn(table, c, type, using, reorgId);
        } catch (IllegalArgumentException e) {
            throw new TableInfo.TableException(e.getMessage());
        }
    }

    /**
     * The server's canonical spelling of {@code type}: {@code format_type(to_regtype(type),
     * to_regtypemod(type))}, the type given as a bound parameter, so that only a type name (with
     * its modifiers and array bounds) is accepted, never more SQL: {@code numeric(12, 2)} becomes
     * {@code numeric(12,2)}, {@code varchar(20)} {@code character varying(20)}, {@code int4 -- x}
     * {@code integer}. Fails, naming {@code field} and the value, for anything that is not exactly
     * a type in this database ({@code int); drop table x; --}, {@code integer default 1}, {@code
     * text collate "C"}, an unknown type) and for a pseudo-type or shell type no column can have.
     * Rolls back the transaction after a failed query.
     */
    public static String resolveType(Connection c, String type, String field) throws SQLException {
        String shown = "'" + type + "'";
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.resolveType())) {
            ps.setString(1, type);
            ps.setString(2, type);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new TableInfo.TableException(
                            field + ": " + shown + " is not a type in this database");
                }
                String canonical = rs.getString(1);
                if ("p".equals(rs.getString(2)) || !rs.getBoolean(3)) {
                    throw new TableInfo.TableException(
                            field
                                    + ": "
                                    + shown
                                    + " is "
                                    + canonical
                                    + ", a pseudo-type or an undefined (shell) type, which no"
                                    + " column can have");
                }
                return canonical;
            }
        } catch (TableInfo.TableException e) {
            throw e;
        } catch (SQLException e) {
            c.rollback();
            if (SqlErrors.isSyntaxOrDataError(e)) {
                throw new TableInfo.TableException(
                        field
                                + ": "
                                + shown
                                + " is not a type (give only a type, like numeric(12,2) or"
                                + " varchar(20)): "
                                + e.getMessage());
            }
            throw e;
        }
    }

    public TableInfo table() {
        return table;
    }

    /** The column being changed, as it was when the reorg was prepared. */
    public Column column() {
        return column;
    }

    /**
     * The new type: as {@link #resolveType} spelled it (or as the spec wrote it, for names only).
     */
    public String type() {
        return type;
    }

    /** The spec's using expression, or null when the default cast applies. */
    public String specUsing() {
        return using;
    }

    /**
     * The expression computing the new value from a row: the spec's {@code using}, or {@code
     * CAST("column" AS type)}. Raw SQL text, not parenthesized: see {@link #usingSql()}.
     */
    public String using() {
        return using != null
                ? using
                : "CAST(" + Identifiers.quote(column.name()) + " AS " + type + ")";
    }

    /**
     * {@link #using()} as it goes into a statement: in parentheses, with a newline before the
     * closing one so that a trailing line comment in it ends there.
     */
    public String usingSql() {
        return "(" + using() + "\n)";
    }

    /** {@code _backfill_new_<column>}: the shadow column, nullable, without a default. */
    public String shadowName() {
        return NEW_PREFIX + column.name();
    }

    /** {@code _backfill_old_<column>}: the old column's name after the cut-over, until cleanup. */
    public String oldName() {
        return OLD_PREFIX + column.name();
    }

    /** The trigger function that sets the shadow column, in schema {@code backfill}. */
    public String triggerFunction() {
        return objectPrefix + FUNCTION_SUFFIX;
    }

    /**
     * The BEFORE INSERT OR UPDATE trigger, {@code ~backfill_<hash>_shadow}. PostgreSQL fires the
     * BEFORE row triggers of a table in the byte order of their names, and {@code ~} (0x7E) sorts
     * after every letter, digit and underscore, so the trigger fires after the application's own
     * BEFORE triggers and sees their changes to the row. Prepare refuses a table with a BEFORE
     * trigger whose name sorts after it anyway (a name starting with {@code ~} or a non-ASCII
     * character), and the cut-over checks again ({@link ColumnSql#laterBeforeTriggers()}).
     */
    public String trigger() {
        return TRIGGER_PREFIX + objectPrefix + "_shadow";
    }

    /**
     * The trigger's name in reorgs prepared before the name above ({@code zz_backfill_<hash>
     * _shadow}): abort and the cut-over drop it too, so that such a reorg can still be finished or
     * rolled back.
     */
    public String legacyTrigger() {
        return "zz_" + objectPrefix + "_shadow";
    }

    /** The {@code CHECK (shadow IS NOT NULL)} constraint that carries NOT NULL over. */
    public String notNullConstraint() {
        return objectPrefix + "_notnull";
    }

    @Override
    public String toString() {
        return table.displayName()
                + "."
                + column.name()
                + " -> "
                + type
                + " using "
                + using()
                + " into "
                + shadowName();
    }
}
