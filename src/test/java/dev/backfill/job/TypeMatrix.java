package dev.backfill.job;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test support for {@link TypeMatrixITCase}: the PostgreSQL types of the matrix, each with an
 * expression generating distinct values from an integer, tricky literals to use as keys (pairwise
 * unequal under the type's equality, and outside the generated values) and tricky literals to use
 * as plain values (including equal-but-differently-written ones), and the modify-column each type
 * gets. Also the SQL that creates a table from them.
 */
final class TypeMatrix {
    private TypeMatrix() {}

    /** The schema objects some types need: an enum, a domain, a nondeterministic collation. */
    static final List<String> SUPPORT_DDL =
            List.of(
                    "CREATE EXTENSION IF NOT EXISTS citext",
                    "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')",
                    "CREATE DOMAIN posint AS integer CHECK (VALUE > 0)",
                    "CREATE COLLATION tm_ci (provider = icu, locale = 'und-u-ks-level2',"
                            + " deterministic = false)");

    /**
     * One type of the matrix.
     *
     * @param name short name; the value column is {@code v_<name>}, a key column {@code k_<name>}
     * @param sqlType the column type, with a COLLATE clause where the case is about a collation
     * @param gen SQL generating a value from {@code %n} (an integer expression); injective over
     *     1..300 unless {@code small}
     * @param keyTricky literals used as key values (cast added)
     * @param valueTricky literals used as non-key values (cast added)
     * @param orderable whether it has a B-tree operator class (can be a key or indexed)
     * @param small whether gen has few distinct values (used only as a leading key column)
     * @param modifyType the type of its modify-column case
     * @param modifyUsing the using expression of its modify-column case, or null for the cast
     */
    record Type(
            String name,
            String sqlType,
            String gen,
            List<String> keyTricky,
            List<String> valueTricky,
            boolean orderable,
            boolean small,
            String modifyType,
            String modifyUsing) {

        /** The bare type, for casts ({@code sqlType} without its COLLATE clause). */
        String castType() {
            int i = sqlType.indexOf(" COLLATE ");
            return i < 0 ? sqlType : sqlType.substring(0, i);
        }

        String gen(String n) {
            return "(" + gen.replace("%n", "(" + n + ")") + ")::" + castType();
        }

        String literal(String text) {
            return "'" + text.replace("'", "''") + "'::" + castType();
        }

        String valueColumn() {
            return "v_" + name;
        }

        String keyColumn() {
            return "k_" + name;
        }
    }

    static final Map<String, Type> TYPES = new LinkedHashMap<>();

    private static void add(
            String name,
            String sqlType,
            String gen,
            List<String> keyTricky,
            List<String> valueTricky,
            boolean orderable,
            boolean small,
            String modifyType,
            String modifyUsing) {
        TYPES.put(
                name,
                new Type(
                        name,
                        sqlType,
                        gen,
                        keyTricky,
                        valueTricky,
                        orderable,
                        small,
                        modifyType,
                        modifyUsing));
    }

    private static void add(
            String name,
            String sqlType,
            String gen,
            List<String> keyTricky,
            List<String> valueTricky,
            String modifyType,
            String modifyUsing) {
        add(name, sqlType, gen, keyTricky, valueTricky, true, false, modifyType, modifyUsing);
    }

    static {
        add(
                "int2",
                "smallint",
                "%n - 100",
                List.of("32767", "-32768"),
                List.of("0", "-32768", "32767"),
                "integer",
                null);
        add(
                "int4",
                "integer",
                "%n * 1000 - 77",
                List.of("2147483647", "-2147483648"),
                List.of("0", "-2147483648", "2147483647"),
                "bigint",
                null);
        add(
                "int8",
                "bigint",
                "%n::bigint * 1000000007 - 5",
                List.of("9223372036854775807", "-9223372036854775808"),
                List.of("0", "-9223372036854775808", "9223372036854775807"),
                "numeric",
                null);
        add(
                "numeric",
                "numeric",
                "%n * 1.25 - 3",
                List.of(
                        "NaN",
                        "-0.000000000000000000000000000001",
                        "123456789012345678901234567890.123456789",
                        "1.10",
                        "-1e-3"),
                List.of("1.0", "1.000", "NaN", "-0.0", "0", "1e-20", "-1E+25", "0.10"),
                "text",
                "v_numeric::text");
        add(
                "numeric_s",
                "numeric(12,4)",
                "%n / 7.0",
                List.of("99999999.9999", "-99999999.9999", "-0.0001"),
                List.of("1.5", "0", "-0.00005", "NaN"),
                "numeric",
                null);
        add(
                "real",
                "real",
                "%n / 7.0",
                List.of("NaN", "Infinity", "-Infinity", "-0", "1.17549435e-38", "3.4028235e38"),
                List.of("0", "-0", "NaN", "Infinity", "-Infinity", "0.1", "1e-45"),
                "double precision",
                null);
        add(
                "float8",
                "double precision",
                "%n / 3.0",
                List.of("NaN", "Infinity", "-Infinity", "-0", "4.9e-324", "1.7976931348623157e308"),
                List.of("0", "-0", "NaN", "-Infinity", "0.1", "0.30000000000000004", "5e-324"),
                "text",
                "v_float8::text");
        add(
                "text_c",
                "text COLLATE \"C\"",
                "'r' || %n || 'é'",
                List.of("", "Z", "a", "ä", "tab\tx", "\uD83D\uDE00", "back\\slash"),
                List.of("", " trailing ", "x'y", "line\nbreak", "nul\\000"),
                "character varying(200)",
                null);
        add(
                "text_icu",
                "character varying(40) COLLATE \"und-x-icu\"",
                "'Abc' || %n",
                List.of("a", "B", "ä", "Ä", "A"),
                List.of("a", "A", "ä", "ß", "ss"),
                "text",
                null);
        add(
                "text_ci",
                "text COLLATE tm_ci",
                "'Ci' || %n",
                List.of("x", "Ÿ", "zz"),
                List.of("abc", "ABC", "Abc", "straße", "STRASSE"),
                "text",
                null);
        add(
                "citext",
                "citext",
                "'User' || %n",
                List.of("a", "ZZ", "é"),
                List.of("Abc", "ABC", "abc", ""),
                "text",
                null);
        add(
                "char5",
                "character(5)",
                "lpad(%n::text, 3, '0')",
                List.of("a", "zz", " "),
                List.of("ab", "ab   ", "", "abcde"),
                "character varying(10)",
                null);
        add(
                "bytea",
                "bytea",
                "decode(lpad(to_hex(%n * 7919), 8, '0'), 'hex') || '\\x00'::bytea",
                List.of("\\x", "\\x00", "\\xff00", "\\x5c", "\\x27"),
                List.of("\\x", "\\x00", "\\x5c30", "\\xdeadbeef", "\\x0a0d"),
                "bytea",
                "v_bytea");
        add(
                "uuid",
                "uuid",
                "md5(%n::text)::uuid",
                List.of(
                        "00000000-0000-0000-0000-000000000000",
                        "ffffffff-ffff-ffff-ffff-ffffffffffff"),
                List.of("00000000-0000-0000-0000-000000000000"),
                "text",
                null);
        add(
                "bool",
                "boolean",
                "%n % 2 = 0",
                List.of("true"),
                List.of("true", "false"),
                true,
                true,
                "text",
                null);
        add(
                "date",
                "date",
                "date '2000-01-01' + %n * 37",
                List.of("infinity", "-infinity", "0001-01-01 BC", "5874897-12-31"),
                List.of("infinity", "-infinity", "0001-01-01 BC", "2024-02-29"),
                "timestamp without time zone",
                null);
        add(
                "time",
                "time without time zone",
                "time '00:00' + %n * interval '1 min 7.123456 s'",
                List.of("24:00:00", "00:00:00", "23:59:59.999999"),
                List.of("24:00:00", "00:00:00", "12:00:00.5"),
                "interval",
                null);
        add(
                "timetz",
                "time with time zone",
                "'12:00:00+03'::timetz + %n * interval '37 s'",
                List.of("00:00:00+1459", "23:59:59-1459", "12:00:00+00", "13:00:00+01"),
                List.of("00:00:00+1459", "12:00:00+00", "13:00:00+01"),
                "time without time zone",
                null);
        add(
                "timestamp",
                "timestamp without time zone",
                "timestamp '2000-01-01' + %n * interval '1 day 1.5 s'",
                List.of(
                        "infinity",
                        "-infinity",
                        "4713-01-01 00:00:00 BC",
                        "294276-12-31 23:59:59.999999"),
                List.of("infinity", "2026-03-08 02:30:00", "1900-01-01 00:00:00"),
                "timestamp with time zone",
                null);
        add(
                "timestamptz",
                "timestamp with time zone",
                "timestamptz '2000-01-01 00:00:00+00' + %n * interval '13 hours 0.25 s'",
                List.of(
                        "infinity",
                        "-infinity",
                        "1900-01-01 00:00:00+00",
                        "2026-03-08 06:30:00+00",
                        "4713-01-01 00:00:00+00 BC"),
                List.of(
                        "infinity",
                        "1900-01-01 00:00:00+00",
                        "2026-11-01 03:30:00+00",
                        "1883-11-18 12:00:00+00"),
                "text",
                "v_timestamptz::text");
        add(
                "interval",
                "interval",
                "%n * interval '1 day 3 hours 0.5 s'",
                List.of("-178000000 years", "1 mon", "-1 day +1 hour", "00:00:00.000001"),
                List.of("1 day", "24 hours", "30 days", "1 mon", "-1 day +24:00", "0"),
                "text",
                null);
        add(
                "jsonb",
                "jsonb",
                "jsonb_build_object('n', %n, 's', 'x' || %n)",
                List.of("{}", "[]", "null", "1.0", "\"str\"", "{\"a\": 1e2}"),
                List.of("1.0", "1.00", "{\"a\": 1e2}", "{\"b\":1,\"a\":[1,2.50]}", "\"\\u00e9\""),
                "json",
                null);
        add(
                "json",
                "json",
                "json_build_object('n', %n)",
                List.of(),
                List.of("{\"a\" : 1, \"a\": 2}", "  [1, 2.50]  ", "1.0"),
                false,
                false,
                "jsonb",
                null);
        add(
                "xml",
                "xml",
                "xmlelement(name r, %n)",
                List.of(),
                List.of("<a b=\"1\"/>", "text only", "<a>  </a>"),
                false,
                false,
                "text",
                "v_xml::text");
        add(
                "int_array",
                "integer[]",
                "ARRAY[%n, %n + 1]",
                List.of("{}", "{NULL}", "{{1,2},{3,4}}", "[0:1]={7,8}"),
                List.of("{}", "{NULL,1}", "[0:1]={7,8}", "{{1,2},{3,4}}"),
                "bigint[]",
                null);
        add(
                "text_array",
                "text[]",
                "ARRAY['a' || %n, NULL]",
                List.of("{\"a,b\",\"c\\\"d\"}", "{\"\"}", "{NULL}"),
                List.of("{\"a,b\",\"c\\\"d\"}", "{\"\"}", "{}"),
                "text",
                "v_text_array::text");
        add(
                "enum",
                "mood",
                "(ARRAY['sad', 'ok', 'happy']::mood[])[%n % 3 + 1]",
                List.of("happy"),
                List.of("sad", "happy"),
                true,
                true,
                "text",
                null);
        add(
                "domain",
                "posint",
                "%n + 1",
                List.of("2147483647", "1"),
                List.of("1", "2147483647"),
                "bigint",
                null);
        add(
                "inet",
                "inet",
                "('10.0.' || (%n / 256) || '.' || (%n % 256))::inet",
                List.of("::1", "192.168.0.1/24", "::ffff:1.2.3.4/128", "192.168.0.1"),
                List.of("10.1.2.3/8", "10.1.2.3", "::ffff:1.2.3.4"),
                "text",
                null);
        add(
                "cidr",
                "cidr",
                "('10.' || (%n / 256) || '.' || (%n % 256) || '.0/24')::cidr",
                List.of("::/0", "192.168.0.0/16", "0.0.0.0/0"),
                List.of("10.0.0.0/8", "::/0"),
                "inet",
                null);
        add(
                "macaddr",
                "macaddr",
                "('08:00:2b:01:' || lpad(to_hex(%n / 256), 2, '0') || ':'"
                        + " || lpad(to_hex(%n % 256), 2, '0'))::macaddr",
                List.of("ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"),
                List.of("ff:ff:ff:ff:ff:ff", "08-00-2b-01-02-03"),
                "macaddr8",
                null);
        add(
                "int4range",
                "int4range",
                "int4range(%n, %n + 10)",
                List.of("empty", "(,)", "[5000,)"),
                List.of("empty", "[1,1]", "(0,2]", "[1,3)"),
                "text",
                null);
        add(
                "tstzrange",
                "tstzrange",
                "tstzrange(timestamptz '2020-01-01 00:00+00' + %n * interval '1 h',"
                        + " timestamptz '2020-01-01 00:30+00' + %n * interval '1 h')",
                List.of("empty", "(,)", "[1900-01-01 00:00:00+00,infinity)"),
                List.of("empty", "[1900-01-01 00:00:00+00,infinity)"),
                "text",
                null);
        add(
                "bit8",
                "bit(8)",
                "(%n % 256)::bit(8)",
                List.of("00000000", "11111111"),
                List.of("00000000", "10101010"),
                "bit varying",
                null);
        add(
                "varbit",
                "bit varying",
                "(%n + 4096)::bit(14)::varbit",
                List.of("", "1", "0000000000000"),
                List.of("", "0", "00"),
                "text",
                null);
        add(
                "money",
                "money",
                "(%n * 1.37)::numeric::money",
                List.of("-92233720368547758.08", "92233720368547758.07", "0"),
                List.of("0", "-1.5", "1000000"),
                "numeric",
                null);
    }

    static Type type(String name) {
        Type t = TYPES.get(name);
        if (t == null) {
            throw new IllegalArgumentException("no type " + name + " in the matrix");
        }
        return t;
    }

    /** The value of row {@code n}'s column of type {@code t}: tricky first, NULL every 11th. */
    static String valueExpr(Type t, int trickyOffset) {
        StringBuilder sb = new StringBuilder("CASE");
        List<String> tricky = t.valueTricky();
        for (int i = 0; i < tricky.size(); i++) {
            sb.append(" WHEN n = ")
                    .append(trickyOffset + i + 1)
                    .append(" THEN ")
                    .append(t.literal(tricky.get(i)));
        }
        sb.append(" WHEN n % 11 = 0 THEN NULL ELSE ").append(t.gen("n")).append(" END");
        return sb.toString();
    }

    /**
     * The DDL and data of a table with key {@code key} (leading columns first; only the last one
     * needs to be injective) and a value column of every type: {@code rows} generated rows, then
     * one row per tricky key value of the last key column (the leading columns cycling through
     * theirs).
     */
    static List<String> table(String table, List<String> key, int rows) {
        List<Type> keys = key.stream().map(TypeMatrix::type).toList();
        StringBuilder cols = new StringBuilder();
        for (Type k : keys) {
            cols.append(k.keyColumn()).append(' ').append(k.sqlType()).append(", ");
        }
        for (Type v : TYPES.values()) {
            cols.append(v.valueColumn()).append(' ').append(v.sqlType()).append(", ");
        }
        StringBuilder pk = new StringBuilder();
        for (Type k : keys) {
            pk.append(pk.length() == 0 ? "" : ", ").append(k.keyColumn());
        }
        List<String> out = new ArrayList<>();
        out.add("CREATE TABLE " + table + " (" + cols + "PRIMARY KEY (" + pk + "))");
        StringBuilder names = new StringBuilder();
        for (Type k : keys) {
            names.append(k.keyColumn()).append(", ");
        }
        StringBuilder values = new StringBuilder();
        int[] moduli = {3, 5};
        for (int i = 0; i < keys.size(); i++) {
            Type k = keys.get(i);
            String n = i == keys.size() - 1 ? "n" : "n % " + moduli[Math.min(i, 1)] + " + 1";
            values.append(k.gen(n)).append(", ");
        }
        int offset = 0;
        StringBuilder valueNames = new StringBuilder();
        StringBuilder valueExprs = new StringBuilder();
        for (Type v : TYPES.values()) {
            valueNames.append(valueNames.length() == 0 ? "" : ", ").append(v.valueColumn());
            valueExprs.append(valueExprs.length() == 0 ? "" : ", ").append(valueExpr(v, offset));
            offset = (offset + 3) % 20;
        }
        out.add(
                "INSERT INTO "
                        + table
                        + " ("
                        + names
                        + valueNames
                        + ") SELECT "
                        + values
                        + valueExprs
                        + " FROM generate_series(1, "
                        + rows
                        + ") n");
        Type last = keys.get(keys.size() - 1);
        for (int i = 0; i < last.keyTricky().size(); i++) {
            StringBuilder tuple = new StringBuilder();
            for (Type k : keys) {
                List<String> kt = k.keyTricky();
                tuple.append(tuple.length() == 0 ? "" : ", ")
                        .append(k.literal(kt.get(i % kt.size())));
            }
            out.add(
                    "INSERT INTO "
                            + table
                            + " ("
                            + names
                            + valueNames
                            + ") SELECT "
                            + tuple
                            + ", "
                            + valueExprs
                            + " FROM (SELECT "
                            + (rows + 1 + i)
                            + " AS n) s");
        }
        return out;
    }
}
