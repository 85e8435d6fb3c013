package dev.backfill.op.convert;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converter {@code numeric}: to {@code numeric(p,s)}, {@code numeric(p)} (scale 0) or unconstrained
 * {@code numeric}, from the text form of an integer or numeric column, or from text holding a
 * number. Covers text to numeric and numeric precision and scale changes for the modify-column
 * operation (issue 4).
 *
 * <p>Accepted syntax: ASCII digits with an optional sign, decimal point and exponent, as {@link
 * BigDecimal} reads them ({@code +1.5}, {@code .5}, {@code 5.}, {@code 1e3}); anything else,
 * including the empty string, whitespace, underscores and non-ASCII digits, fails with {@code is
 * not a number}. {@code NaN} and {@code Infinity}, {@code -Infinity} (also {@code inf}, any case)
 * pass through to unconstrained {@code numeric} and fail for {@code numeric(p,s)} with {@code is
 * not a finite number for type numeric(p,s)} (stricter than PostgreSQL, which stores NaN there).
 *
 * <p>For {@code numeric(p,s)}, in this order:
 *
 * <ol>
 *   <li>{@code |value| >= 10^(p-s)} fails with {@code is out of range for type numeric(p,s)};
 *   <li>a value with more than {@code s} significant fractional digits fails with {@code has more
 *       than s fractional digits for type numeric(p,s)} (for a negative scale: {@code is not a
 *       multiple of 10^-s}), unless option {@code rounding: half-up} is given; then it is rounded
 *       half away from zero, as PostgreSQL rounds, and checked for overflow again ({@code 999.995}
 *       overflows {@code numeric(5,2)}).
 * </ol>
 *
 * Trailing zeros are not truncation: {@code 1.500} gives {@code 1.50} in {@code numeric(5,2)}. The
 * output is plain (no exponent) with exactly {@code s} decimals. For unconstrained {@code numeric}
 * the value keeps its own scale ({@code 1.50} stays {@code 1.50}, {@code 1e3} gives {@code 1000}),
 * within PostgreSQL's limits of 131072 integer and 16383 fractional digits.
 *
 * <p>Whatever the target type and the rounding, a number that PostgreSQL's numeric input cannot
 * read fails with {@code is out of range for type <t>}, so that the {@linkplain #sqlUsing SQL
 * counterpart} reads every value this converter accepts: an exponent beyond &plusmn;1073741823, or
 * more than 16383 fractional digits once the exponent is applied, trailing zeros included ({@code
 * 1e-16384}, {@code 0.50e-16382}, {@code 1.000...} with 16384 zeros).
 */
final class NumericConverter implements Converter {

    private static final long serialVersionUID = 1L;

    private static final Pattern NUMBER =
            Pattern.compile("[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");
    private static final Pattern TYPE =
            Pattern.compile("(?:numeric|decimal)(?:\\(([0-9]+)(?:,(-?[0-9]+))?\\))?");

    /** PostgreSQL's limits for numeric(p,s) typmods (PostgreSQL 15 and later). */
    private static final int MAX_PRECISION = 1000;

    private static final int MIN_SCALE = -1000;
    private static final int MAX_SCALE = 1000;

    /** PostgreSQL's limits for numeric values (integer digits: unconstrained numeric only). */
    static final int MAX_INTEGER_DIGITS = 131072;

    static final int MAX_FRACTION_DIGITS = 16383;

    /**
     * The largest exponent magnitude PostgreSQL's numeric input reads (PostgreSQL 16 and later).
     */
    static final long MAX_EXPONENT = Integer.MAX_VALUE / 2;

    private final String type;

    /** {@code null} for unconstrained numeric. */
    private final Integer precision;

    private final int scale;
    private final boolean round;

    private NumericConverter(String type, Integer precision, int scale, boolean round) {
        this.type = type;
        this.precision = precision;
        this.scale = scale;
        this.round = round;
    }

    static NumericConverter create(
            String targetType, String normalized, Map<String, String> options) {
        Matcher m = TYPE.matcher(normalized);
        if (!m.matches()) {
            throw Converters.unsupportedType(
                    "numeric", targetType, "numeric(p,s), numeric(p), numeric");
        }
        String rounding = options.getOrDefault("rounding", "none");
        if (!rounding.equals("none") && !rounding.equals("half-up")) {
            throw Converters.badOption(
                    "numeric", "rounding", rounding, "'none' (the default) or 'half-up'");
        }
        boolean round = rounding.equals("half-up");
        if (m.group(1) == null) {
            if (round) {
                throw new IllegalArgumentException(
                        "option 'rounding' of converter 'numeric' needs a type with a scale,"
                                + " not numeric");
            }
            return new NumericConverter("numeric", null, 0, false);
        }
        int precision = parseTypmod(m.group(1), targetType);
        int scale = m.group(2) == null ? 0 : parseTypmod(m.group(2), targetType);
        if (precision < 1 || precision > MAX_PRECISION) {
            throw new IllegalArgumentException(
                    "precision of type '"
                            + targetType
                            + "' must be between 1 and "
                            + MAX_PRECISION);
        }
        if (scale < MIN_SCALE || scale > MAX_SCALE) {
            throw new IllegalArgumentException(
                    "scale of type '"
                            + targetType
                            + "' must be between "
                            + MIN_SCALE
                            + " and "
                            + MAX_SCALE);
        }
        return new NumericConverter(
                "numeric(" + precision + "," + scale + ")", precision, scale, round);
    }

    private static int parseTypmod(String digits, String targetType) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("type '" + targetType + "' has an invalid typmod");
        }
    }

    @Override
    public String name() {
        return "numeric";
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
        String special = special(value);
        if (special != null) {
            if (precision == null) {
                return special;
            }
            throw new ConversionException(value, "is not a finite number for type " + type);
        }
        if (!NUMBER.matcher(value).matches()) {
            throw new ConversionException(value, "is not a number");
        }
        BigDecimal number;
        try {
            number = new BigDecimal(value);
        } catch (NumberFormatException e) {
            throw outOfRange(value); // the syntax is checked above: the exponent is too large
        }
        if (!readable(value, number)) {
            throw outOfRange(value);
        }
        return precision == null ? unconstrained(value, number) : constrained(value, number);
    }

    /**
     * Whether PostgreSQL's numeric input reads {@code text} (a number in {@link BigDecimal}'s
     * syntax, {@code number} its value) without "value overflows numeric format", before any
     * typmod: its exponent is within &plusmn;{@value #MAX_EXPONENT} and its scale (fractional
     * digits minus exponent, trailing zeros included) at most {@value #MAX_FRACTION_DIGITS}. The
     * integer digits are not checked here (a typmod's range check comes first).
     */
    static boolean readable(String text, BigDecimal number) {
        if (number.scale() > MAX_FRACTION_DIGITS) {
            return false;
        }
        int e = Math.max(text.indexOf('e'), text.indexOf('E'));
        if (e < 0) {
            return true;
        }
        String digits = text.substring(e + 1).replaceFirst("^[+-]?0*", "");
        return digits.length() <= 10 && Long.parseLong("0" + digits) <= MAX_EXPONENT;
    }

    /**
     * {@code CAST(CAST(<column> AS text) AS <type>)}, e.g. {@code CAST(CAST("amount" AS text) AS
     * numeric(12,2))}. PostgreSQL's numeric input reads every value this converter accepts as the
     * same number with the same scale, and its typmod rounds half away from zero, as {@code
     * rounding: half-up} does. Of the values this converter rejects, it raises an error for those
     * out of the type's range or not a number, but reads some: with {@code rounding: none} it
     * rounds a value with too many fractional digits; it stores {@code NaN} in {@code
     * numeric(p,s)}; it accepts surrounding whitespace and, from PostgreSQL 16, underscores.
     */
    @Override
    public String sqlUsing(String quotedColumn) {
        return "CAST(" + Converters.columnText(quotedColumn) + " AS " + type + ")";
    }

    private String unconstrained(String value, BigDecimal number) {
        if (number.signum() == 0) {
            return BigDecimal.ZERO.setScale(Math.max(0, number.scale())).toPlainString();
        }
        long integerDigits = (long) number.precision() - number.scale();
        if (integerDigits > MAX_INTEGER_DIGITS) {
            throw outOfRange(value); // the fractional digits are checked by readable()
        }
        return number.setScale(Math.max(0, number.scale())).toPlainString();
    }

    private String constrained(String value, BigDecimal number) {
        // 10^(p-s): the smallest magnitude that overflows numeric(p,s)
        BigDecimal limit = BigDecimal.ONE.scaleByPowerOfTen(precision - scale);
        if (number.abs().compareTo(limit) >= 0) {
            throw outOfRange(value);
        }
        if (number.signum() == 0) {
            return BigDecimal.ZERO.setScale(scale).toPlainString();
        }
        BigDecimal result;
        if (number.stripTrailingZeros().scale() <= scale) {
            result = number.setScale(scale, RoundingMode.UNNECESSARY);
        } else if (!round) {
            throw new ConversionException(
                    value,
                    scale >= 0
                            ? "has more than "
                                    + scale
                                    + (scale == 1 ? " fractional digit" : " fractional digits")
                                    + " for type "
                                    + type
                            : "is not a multiple of "
                                    + BigInteger.TEN.pow(-scale)
                                    + " for type "
                                    + type);
        } else if ((long) number.precision() - number.scale() < -(long) scale - 1) {
            // |number| < 10^(-s-1): rounds to zero; skips a setScale over a huge exponent
            result = BigDecimal.ZERO.setScale(scale);
        } else {
            result = number.setScale(scale, RoundingMode.HALF_UP);
            if (result.abs().compareTo(limit) >= 0) {
                throw outOfRange(value);
            }
        }
        if (result.signum() == 0) {
            result = BigDecimal.ZERO.setScale(scale); // no "-0.00"
        }
        return result.toPlainString();
    }

    /** The canonical text of NaN or an infinity, or {@code null} for anything else. */
    private static String special(String value) {
        switch (value.toLowerCase(Locale.ROOT)) {
            case "nan":
                return "NaN";
            case "infinity":
            case "+infinity":
            case "inf":
            case "+inf":
                return "Infinity";
            case "-infinity":
            case "-inf":
                return "-Infinity";
            default:
                return null;
        }
    }

    private ConversionException outOfRange(String value) {
        return new ConversionException(value, "is out of range for type " + type);
    }

    @Override
    public String toString() {
        return "numeric to " + type + (round ? " rounding half-up" : "");
    }
}
