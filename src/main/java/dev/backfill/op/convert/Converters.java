package dev.backfill.op.convert;

import dev.backfill.db.Identifiers;

import org.apache.flink.annotation.Internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The registry of named converters for the modify-column operation (issue 4), and the format of its
 * conversion errors.
 *
 * <p>The job spec's {@code modify-column.converter} names one of {@link #names()}; the operation
 * calls {@link #create} once with the column's new {@code type} and the converter's options, and
 * {@link #message} when a row fails. All converters are strict (like TiDB's strict SQL mode): a
 * value that does not fit the target type exactly fails; nothing is rounded unless an option asks
 * for it. NULL always converts to NULL.
 *
 * <table>
 *   <caption>Converters</caption>
 *   <tr><th>name</th><th>target types</th><th>options</th></tr>
 *   <tr><td>{@code integer}</td><td>smallint, integer, bigint</td><td>none</td></tr>
 *   <tr><td>{@code numeric}</td><td>numeric(p,s), numeric(p), numeric</td>
 *       <td>{@code rounding}: {@code none} (default) or {@code half-up}</td></tr>
 *   <tr><td>{@code timestamptz}</td><td>timestamp with time zone, timestamp(p) with time zone</td>
 *       <td>{@code format}, {@code zone}, {@code gap}: {@code fail} (default) or {@code shift},
 *       {@code overlap}: {@code later} (default) or {@code earlier}</td></tr>
 *   <tr><td>{@code jsonb}</td><td>jsonb</td><td>none</td></tr>
 * </table>
 *
 * <p>See {@link IntegerConverter}, {@link NumericConverter}, {@link TimestamptzConverter} and
 * {@link JsonbConverter} for the exact semantics.
 */
@Internal
public final class Converters {

    /** The known converter names, in the order error messages list them. */
    private static final List<String> NAMES = List.of("integer", "numeric", "timestamptz", "jsonb");

    private Converters() {}

    /** The names {@link #create} accepts: {@code integer, numeric, timestamptz, jsonb}. */
    public static Set<String> names() {
        return new LinkedHashSet<>(NAMES);
    }

    /**
     * Creates the converter {@code name} to {@code targetType}.
     *
     * @param name a converter name, see {@link #names()}
     * @param targetType the column's new type; PostgreSQL's {@code format_type} spelling (e.g.
     *     {@code bigint}, {@code numeric(12,2)}, {@code timestamp with time zone}) and the common
     *     aliases ({@code int4}, {@code int8}, {@code decimal(12,2)}, {@code timestamptz}) are
     *     accepted, in any case and spacing
     * @param options the converter's options; {@code null} means none
     * @throws IllegalArgumentException for an unknown name, an unsupported target type, an unknown,
     *     missing or invalid option; the message says which and lists what is allowed
     */
    public static Converter create(String name, String targetType, Map<String, String> options) {
        if (name == null || !NAMES.contains(name)) {
            throw new IllegalArgumentException(
                    "unknown converter "
                            + (name == null ? "null" : "'" + name + "'")
                            + " (known converters: "
                            + String.join(", ", NAMES)
                            + ")");
        }
        if (targetType == null || targetType.isBlank()) {
            throw new IllegalArgumentException("converter '" + name + "' needs a target type");
        }
        Map<String, String> opts = options == null ? Map.of() : options;
        String type = normalizeType(targetType);
        switch (name) {
            case "integer":
                checkOptions(name, opts);
                return IntegerConverter.create(targetType, type);
            case "numeric":
                checkOptions(name, opts, "rounding");
                return NumericConverter.create(targetType, type, opts);
            case "timestamptz":
                checkOptions(name, opts, "format", "zone", "gap", "overlap");
                return TimestamptzConverter.create(targetType, type, opts);
            case "jsonb":
                checkOptions(name, opts);
                return JsonbConverter.create(targetType, type);
            default:
                throw new AssertionError(name);
        }
    }

    /**
     * The reorg's failure message for a value that does not convert, exactly {@code cannot convert
     * column '<c>' of row <key>: value '<v>' <reason>} (issue 4). A NULL value appears as {@code
     * NULL} without quotes, and a value longer than 200 characters is cut, ending in {@code ...}.
     *
     * @param column the column's name, unquoted
     * @param rowKey the row's key as the operation prints it, e.g. {@code (42)}
     */
    public static String message(String column, String rowKey, ConversionException e) {
        return "cannot convert column '" + column + "' of row " + rowKey + ": " + e.getMessage();
    }

    /**
     * Lower case, single spaces, no spaces inside or before parentheses: {@code NUMERIC (12, 2)}
     * becomes {@code numeric(12,2)}.
     */
    static String normalizeType(String type) {
        return type.trim()
                .toLowerCase(Locale.ROOT)
                .replaceAll("\\s+", " ")
                .replaceAll(" ?, ?", ",")
                .replaceAll(" ?\\( ?", "(")
                .replaceAll(" \\)", ")");
    }

    /** Rejects option keys other than {@code known}, and null values. */
    private static void checkOptions(String name, Map<String, String> options, String... known) {
        Set<String> allowed = Set.of(known);
        for (String key : new TreeSet<>(options.keySet())) {
            if (!allowed.contains(key)) {
                throw new IllegalArgumentException(
                        "converter '"
                                + name
                                + "' has no option '"
                                + key
                                + "' (known options: "
                                + (known.length == 0 ? "none" : String.join(", ", known))
                                + ")");
            }
            if (options.get(key) == null) {
                throw new IllegalArgumentException(
                        "option '" + key + "' of converter '" + name + "' has no value");
            }
        }
    }

    /**
     * {@code CAST(<quotedColumn> AS text)}: how the SQL counterparts ({@link Converter#sqlUsing})
     * read the old column's text form.
     */
    static String columnText(String quotedColumn) {
        if (quotedColumn == null || quotedColumn.isBlank()) {
            throw new IllegalArgumentException("the SQL counterpart needs the quoted column");
        }
        return "CAST(" + quotedColumn + " AS text)";
    }

    /**
     * An SQL string literal for {@code value} that reads the same whatever the session's {@code
     * standard_conforming_strings}: {@link Identifiers#literal}, or an {@code E'...'} literal with
     * doubled backslashes when the value contains a backslash.
     */
    static String sqlString(String value) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an SQL string cannot contain a NUL character");
        }
        if (value.indexOf('\\') < 0) {
            return Identifiers.literal(value);
        }
        return "E" + Identifiers.literal(value.replace("\\", "\\\\"));
    }

    /** The error for a target type that converter {@code name} cannot produce. */
    static IllegalArgumentException unsupportedType(
            String name, String targetType, String supported) {
        return new IllegalArgumentException(
                "converter '"
                        + name
                        + "' cannot convert to type '"
                        + targetType
                        + "' (supported: "
                        + supported
                        + ")");
    }

    /** The error for an option value outside {@code allowed}. */
    static IllegalArgumentException badOption(
            String name, String option, String value, String allowed) {
        return new IllegalArgumentException(
                "option '"
                        + option
                        + "' of converter '"
                        + name
                        + "' is '"
                        + value
                        + "' but must be "
                        + allowed);
    }
}
