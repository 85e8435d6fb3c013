package dev.backfill.op.convert;

import java.util.regex.Pattern;

/**
 * Converter {@code integer}: to {@code smallint}, {@code integer} or {@code bigint}, from the text
 * form of any integer type or from text holding an integer. Covers integer widening and narrowing
 * and text to integer for the modify-column operation (issue 4).
 *
 * <p>Accepted: ASCII digits with an optional leading {@code +} or {@code -}; leading zeros are fine
 * ({@code 007} gives {@code 7}). Rejected with {@code is not an integer}: the empty string,
 * surrounding whitespace, a decimal point ({@code 1.0}), an exponent, underscores ({@code 1_000})
 * and hexadecimal forms (all of which PostgreSQL's own cast accepts in some version). Rejected with
 * {@code is out of range for type <t>}: anything outside the target type's range. The output is the
 * canonical decimal form.
 */
final class IntegerConverter implements Converter {

    private static final long serialVersionUID = 1L;

    private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");

    private final String type;
    private final long min;
    private final long max;

    private IntegerConverter(String type, long min, long max) {
        this.type = type;
        this.min = min;
        this.max = max;
    }

    static IntegerConverter create(String targetType, String normalized) {
        switch (normalized) {
            case "smallint":
            case "int2":
                return new IntegerConverter("smallint", Short.MIN_VALUE, Short.MAX_VALUE);
            case "integer":
            case "int":
            case "int4":
                return new IntegerConverter("integer", Integer.MIN_VALUE, Integer.MAX_VALUE);
            case "bigint":
            case "int8":
                return new IntegerConverter("bigint", Long.MIN_VALUE, Long.MAX_VALUE);
            default:
                throw Converters.unsupportedType(
                        "integer", targetType, "smallint, integer, bigint");
        }
    }

    @Override
    public String name() {
        return "integer";
    }

    @Override
    public String targetType() {
        return type;
    }

    @Override
    public String convert(String value) {
        if (value == null) {
            return null;
        }
        if (!INTEGER.matcher(value).matches()) {
            throw new ConversionException(value, "is not an integer");
        }
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw outOfRange(value); // the syntax is checked above, so it can only be the range
        }
        if (parsed < min || parsed > max) {
            throw outOfRange(value);
        }
        return Long.toString(parsed);
    }

    /**
     * {@code CAST(CAST(<column> AS text) AS <type>)}. PostgreSQL's integer input reads every value
     * this converter accepts as the same number. Of the values this converter rejects, it raises an
     * error for most (out of range, a decimal point, an exponent, the empty string) and reads some
     * (surrounding whitespace and, from PostgreSQL 16, underscores and hexadecimal, octal and
     * binary forms). Through text, a numeric column's {@code 1.5} fails instead of rounding.
     */
    @Override
    public String sqlUsing(String quotedColumn) {
        return "CAST(" + Converters.columnText(quotedColumn) + " AS " + type + ")";
    }

    private ConversionException outOfRange(String value) {
        return new ConversionException(value, "is out of range for type " + type);
    }

    @Override
    public String toString() {
        return "integer to " + type;
    }
}
