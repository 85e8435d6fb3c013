package dev.backfill.op.convert;

import org.apache.flink.annotation.PublicEvolving;

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
@PublicEvolving
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

    /**
     * The converter's SQL counterpart: a PostgreSQL expression over the old column that computes
     * the new value in SQL, for the rows the application writes while the reorg runs (the
     * write-only trigger) and for the final verification ({@code shadow IS DISTINCT FROM
     * CAST((expr) AS type)}).
     *
     * <p>For every value that {@link #convert} accepts, the expression returns exactly the value
     * {@code convert} returns, compared as values of {@link #targetType()} ({@code IS NOT DISTINCT
     * FROM}); NULL gives NULL. For a value that {@code convert} rejects it may raise an error or
     * return some value (each converter documents which). The expression does not depend on the
     * session's settings ({@code TimeZone}, {@code DateStyle}, {@code IntervalStyle}, {@code
     * timezone_abbreviations}, {@code standard_conforming_strings}): the trigger runs in the
     * application's sessions. It reads the column's text form, cast with {@code CAST(... AS text)}
     * where the converter reads text, so it works from any old type whose text form the converter
     * reads; that text form must itself not depend on the session (true for integer, numeric, text,
     * varchar and json columns; not for {@code real}, {@code double precision} and {@code money},
     * whose text depends on {@code extra_float_digits} and {@code lc_monetary}).
     *
     * @param quotedColumn the old column's quoted identifier, e.g. {@code "amount"}; it appears in
     *     the expression as is
     * @return raw SQL text without a trailing semicolon, e.g. {@code CAST(CAST("amount" AS text) AS
     *     bigint)}
     * @throws IllegalArgumentException if this converter's configuration has no exact SQL
     *     counterpart; the message names the converter and the option
     */
    String sqlUsing(String quotedColumn);
}
