package dev.backfill.db;

import org.apache.flink.annotation.Internal;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The one identifier quoter. Every identifier that goes into SQL text passes through {@link
 * #quote(String)}, whatever it looks like, so names with capitals, spaces, quotes or keywords are
 * always safe and never interpreted.
 */
@Internal
public final class Identifiers {
    /** PostgreSQL's NAMEDATALEN - 1; longer names are silently truncated by the server. */
    public static final int MAX_BYTES = 63;

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

    /**
     * Splits a possibly qualified name as a user writes it into its parts: {@code demo.orders},
     * {@code orders}, {@code "My Schema"."My Table"}. A quoted part loses its quotes and {@code ""}
     * stands for one quote, as in SQL. The parts are kept as written; nothing is case-folded.
     *
     * @param maxParts how many dot-separated parts are allowed
     * @param expected what is allowed, for the message, e.g. {@code schema.table or table}
     * @throws IllegalArgumentException saying what is wrong with {@code raw} and what is expected
     */
    public static List<String> parse(String raw, int maxParts, String expected) {
        List<String> parts = new ArrayList<>();
        int n = raw.length();
        int i = 0;
        while (true) {
            String part;
            if (i < n && raw.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                int open = i++;
                boolean closed = false;
                while (i < n) {
                    char c = raw.charAt(i++);
                    if (c == '"' && i < n && raw.charAt(i) == '"') {
                        i++;
                    } else if (c == '"') {
                        closed = true;
                        break;
                    }
                    sb.append(c);
                }
                if (!closed) {
                    throw bad(
                            "the quote at position "
                                    + (open + 1)
                                    + " of "
                                    + shown(raw)
                                    + " is not closed; expected "
                                    + expected);
                }
                if (i < n && raw.charAt(i) != '.') {
                    throw bad(
                            "unexpected text after the closing quote in "
                                    + shown(raw)
                                    + "; expected "
                                    + expected);
                }
                part = sb.toString();
                if (part.isEmpty()) {
                    throw bad("empty quoted name in " + shown(raw) + "; expected " + expected);
                }
            } else {
                int dot = raw.indexOf('.', i);
                int end = dot < 0 ? n : dot;
                part = raw.substring(i, end);
                i = end;
                if (part.isBlank()) {
                    throw bad("empty name part in " + shown(raw) + "; expected " + expected);
                }
                if (part.indexOf('"') >= 0) {
                    throw bad(
                            "stray quote in "
                                    + shown(raw)
                                    + "; quote a whole name part, like \"My Table\", and write a"
                                    + " quote inside it as \"\"");
                }
                if (!part.equals(part.strip())) {
                    throw bad(
                            "space around a name in "
                                    + shown(raw)
                                    + "; remove it, or quote the name if the space belongs to it");
                }
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
                throw bad(
                        "name "
                                + shown(part)
                                + " is longer than PostgreSQL's limit of "
                                + MAX_BYTES
                                + " bytes");
            }
            parts.add(part);
            if (i >= n) {
                break;
            }
            if (++i >= n) { // past the dot
                throw bad(shown(raw) + " ends with a dot; expected " + expected);
            }
        }
        if (parts.size() > maxParts) {
            throw bad(
                    "expected "
                            + expected
                            + ", got "
                            + shown(raw)
                            + " with "
                            + parts.size()
                            + " dot-separated parts; quote a name that contains a dot, like"
                            + " \"a.b\"");
        }
        return parts;
    }

    private static IllegalArgumentException bad(String problem) {
        return new IllegalArgumentException(problem);
    }

    /** A name in a message: quoted, and cut at 80 characters. */
    private static String shown(String s) {
        return "\"" + (s.length() > 80 ? s.substring(0, 77) + "..." : s) + "\"";
    }
}
