package dev.backfill.op.convert;

import org.apache.flink.annotation.Internal;

/**
 * A value that a {@link Converter} cannot convert strictly: overflow, truncation, a bad format, or
 * a NULL into a NOT NULL column ({@link #notNull()}).
 *
 * <p>Thrown by the converters and caught by the modify-column operation (issue 4), which fails the
 * reorg with {@link Converters#message(String, String, ConversionException)}. The exception itself
 * does not know the column or the row; its message is {@code value '<v>' <reason>}.
 */
@Internal
public class ConversionException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Values longer than this are cut in messages (never in {@link #value()}). */
    static final int MAX_QUOTED_LENGTH = 200;

    /** The reason of {@link #notNull()}, PostgreSQL's wording. */
    public static final String NOT_NULL_REASON = "violates not-null constraint";

    private final String value;
    private final String reason;

    /**
     * @param value the value that failed, in its original text form; {@code null} for SQL NULL
     * @param reason what is wrong, short and without the value, e.g. {@code is out of range for
     *     type integer}
     */
    public ConversionException(String value, String reason) {
        super("value " + quote(value) + " " + reason);
        this.value = value;
        this.reason = reason;
    }

    /**
     * The failure for a NULL (or a value converted to NULL) headed for a NOT NULL column. The
     * converters never throw it themselves: NULL in gives NULL out, and the caller, who knows the
     * column, checks NOT NULL. Its message is {@code value NULL violates not-null constraint}.
     */
    public static ConversionException notNull() {
        return new ConversionException(null, NOT_NULL_REASON);
    }

    /** The value that failed, unabridged; {@code null} for SQL NULL. */
    public String value() {
        return value;
    }

    /** Why it failed, e.g. {@code has more than 2 fractional digits for type numeric(12,2)}. */
    public String reason() {
        return reason;
    }

    /**
     * How a value appears in messages: {@code NULL} for SQL NULL, otherwise in single quotes, cut
     * after {@value #MAX_QUOTED_LENGTH} characters with {@code ...} appended. Quotes inside the
     * value are not escaped.
     */
    static String quote(String value) {
        if (value == null) {
            return "NULL";
        }
        if (value.length() <= MAX_QUOTED_LENGTH) {
            return "'" + value + "'";
        }
        int end = MAX_QUOTED_LENGTH;
        if (Character.isHighSurrogate(value.charAt(end - 1))) {
            end--; // do not split a surrogate pair
        }
        return "'" + value.substring(0, end) + "...'";
    }
}
