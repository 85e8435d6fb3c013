package dev.backfill.db;

import dev.backfill.model.Key;

import org.apache.flink.annotation.Internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts keys to and from their catalog form, a JSON array such as {@code [42]} or {@code
 * ["2024-01-01", 7]} (numbers for integral key columns, strings for the text form of any other),
 * and reads keys out of result sets. The catalog form is readable with plain SQL ({@code
 * watermark::jsonb}).
 */
@Internal
public final class KeyCodec {
    private static final ObjectMapper JSON =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private KeyCodec() {}

    /**
     * Does Jackson's first-use set-up now. The enumerator, readers and writers call it when they
     * are created, so that the first key conversion does not take a second inside a transaction.
     */
    public static void warmUp() {
        fromJson(toJson(Key.of(0L, "")));
    }

    public static String toJson(Key key) {
        if (key == null) {
            return null;
        }
        ArrayNode a = JSON.createArrayNode();
        for (Object v : key.values()) {
            if (v instanceof Long) {
                a.add((Long) v);
            } else {
                a.add((String) v);
            }
        }
        return a.toString();
    }

    public static Key fromJson(String json) {
        if (json == null) {
            return null;
        }
        try {
            JsonNode n = JSON.readTree(json);
            if (!n.isArray() || n.isEmpty()) {
                throw new IllegalArgumentException("not a key array: " + json);
            }
            List<Object> vals = new ArrayList<>();
            for (JsonNode e : n) {
                if (e.isIntegralNumber() && e.canConvertToLong()) {
                    vals.add(e.longValue());
                } else if (e.isTextual()) {
                    vals.add(e.textValue());
                } else {
                    throw new IllegalArgumentException("not a key value: " + e + " in " + json);
                }
            }
            return Key.of(vals);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not a key: " + json, e);
        }
    }

    /**
     * Reads key columns {@code first..first+key.size()-1} (1-based) of the current row, which a
     * scan selected as text ({@code col::text}, see {@link KeySql}): the server's text form, never
     * the driver's decoding of the column's own type.
     */
    public static Key read(ResultSet rs, int first, List<TableInfo.Column> key)
            throws SQLException {
        Object[] vals = new Object[key.size()];
        for (int i = 0; i < key.size(); i++) {
            String text = rs.getString(first + i);
            vals[i] = key.get(i).integral() ? Long.valueOf(text) : text;
        }
        return Key.of(vals);
    }

    /**
     * Binds a key's values as text parameters starting at {@code first}; returns the next index.
     */
    public static int bind(java.sql.PreparedStatement ps, int first, Key key) throws SQLException {
        int i = first;
        for (String v : key.textValues()) {
            ps.setString(i++, v);
        }
        return i;
    }
}
