package dev.backfill.db;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The one identifier quoter. Every identifier that goes into SQL text passes through {@link
 * #quote(String)}, whatever it looks like, so names with capitals, spaces, quotes or keywords are
 * always safe and never interpreted.
 */
public final class Identifiers {
    private Identifiers() {}

    /** {@code my"table} becomes {@code "my""table"}. */
    public static String quote(String identifier) {
        if (identifier == null || identifier.isEmpty()) {
            throw new IllegalArgumentException("an SQL identifier cannot be empty");
        }
        if (identifier.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("an SQL identifier cannot contain a NUL character");
        }
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /** {@code schema.name}, each part quoted. */
    public static String qualified(String schema, String name) {
        return quote(schema) + "." + quote(name);
    }

    /** A comma-separated list of quoted names, each optionally prefixed by {@code alias.}. */
    public static String list(String alias, List<String> names) {
        return names.stream()
                .map(n -> alias == null ? quote(n) : alias + "." + quote(n))
                .collect(Collectors.joining(", "));
    }

    /** An SQL string literal, for the rare place where a parameter cannot be bound (DDL). */
    public static String literal(String value) {
        return "'" + value.replace("'", "''") + "'";
    }
}
