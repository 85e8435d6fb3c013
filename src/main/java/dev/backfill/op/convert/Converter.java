package dev.backfill.op.convert;

import java.io.Serializable;

/**
 * Converts one column value from its old type to the new type of a modify-column reorg (issue 4),
 * in Java and with strict semantics: it never rounds, truncates or guesses silently.
 *
 * <p>Values travel in PostgreSQL's text form: the input is what pgjdbc's {@code getString} returns
 * for the old column ({@code null} for SQL NULL), and the output is the text input form of the new
 * type, which the sink binds as text and casts with {@code ?::type}.
 *
 * <p>Created by {@link Converters#create} from the spec's {@code converter} and {@code type};
 * called by the modify-column operation for every row it backfills. Instances are immutable, hold
 * only serializable state, and may be shipped inside a Flink operator.
 */
public interface Converter extends Serializable {

    /** The registry name, e.g. {@code integer}; see {@link Converters#names()}. */
    String name();

    /**
     * The target type in PostgreSQL's canonical spelling (as {@code format_type} prints it), e.g.
     * {@code bigint} or {@code numeric(12,2)}. Error reasons name the type this way.
     */
    String targetType();

    /**
     * Converts one value.
     *
     * <p>NULL gives NULL: this method never rejects a NULL. Whether the new column may hold it is
     * the caller's check, because only the caller knows the column; it reports a violation with
     * {@link ConversionException#notNull()}.
     *
     * @param value the old value in PostgreSQL text form, or {@code null} for SQL NULL
     * @return the new value in the target type's text input form, or {@code null}
     * @throws ConversionException if the value does not fit the target type exactly: overflow,
     *     truncation, or a bad format
     */
    String convert(String value);
}
