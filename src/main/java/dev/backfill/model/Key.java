package dev.backfill.model;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * A value of the table's key: one value per key column, in key order. TiDB calls this the handle.
 *
 * <p>Each element is a {@link Long} (for {@code smallint}, {@code integer} and {@code bigint} key
 * columns) or a {@link String} holding PostgreSQL's text form of the value (any other orderable
 * type: text, uuid, numeric, timestamps...). Comparisons are never done in Java: every range
 * predicate is evaluated by PostgreSQL with the column's own type and collation, so the text form
 * is exact. Keys are never null inside: key columns are NOT NULL.
 */
@PublicEvolving
public final class Key implements Serializable {
    private static final long serialVersionUID = 1L;

    private final Object[] values;

    private Key(Object[] values) {
        this.values = values;
    }

    /** Creates a key from Long and String values; rejects anything else, and nulls. */
    public static Key of(Object... values) {
        checkArgument(values.length != 0, "a key has at least one column");
        Object[] copy = values.clone();
        for (Object v : copy) {
            // Checked by hand: this runs for every key value read, without varargs per value.
            if (!(v instanceof Long) && !(v instanceof String)) {
                throw new IllegalArgumentException(
                        "a key value is a Long or a String, not "
                                + (v == null ? "null" : v.getClass().getName()));
            }
        }
        return new Key(copy);
    }

    public static Key of(List<?> values) {
        return of(values.toArray());
    }

    public int size() {
        return values.length;
    }

    public Object get(int i) {
        return values[i];
    }

    public List<Object> values() {
        return Collections.unmodifiableList(Arrays.asList(values));
    }

    /** The values in PostgreSQL text form, for binding as {@code ?::type} parameters. */
    public List<String> textValues() {
        List<String> out = new ArrayList<>(values.length);
        for (Object v : values) {
            out.add(v.toString());
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Key && Arrays.equals(values, ((Key) o).values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    /** {@code 42} for a one-column key, {@code (42, abc)} for a composite one. */
    @Override
    public String toString() {
        if (values.length == 1) {
            return String.valueOf(values[0]);
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(values[i]);
        }
        return sb.append(')').toString();
    }
}
