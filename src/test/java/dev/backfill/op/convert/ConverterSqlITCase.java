package dev.backfill.op.convert;

import dev.backfill.db.TestingPostgres;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Runs every converter's SQL counterpart ({@link Converter#sqlUsing}) against a real PostgreSQL and
 * checks that it agrees with the converter on every value the converter accepts, under different
 * session settings, and that the converter fails the others with the exact reorg message.
 *
 * <p>Each table names a converter configuration, the old column's type and its values, each with
 * what the Java converter gives for it: the new value's text, or {@code ! reason}. For a value that
 * converts, the SQL counterpart is evaluated over the value cast to the old type and the two are
 * compared by their text in the session, {@code SELECT CAST(CAST(<java output> AS <new type>) AS
 * text) IS NOT DISTINCT FROM CAST(CAST((expr) AS <new type>) AS text) FROM (SELECT CAST(<value> AS
 * <old type>) AS "c") AS t}, in each of the {@link #SESSIONS}: it must be true (equality of the
 * type would take numeric 1.0 for 1.000 and jsonb 1.0 for 1). A value of a non-text old type is
 * first checked to be that type's text form (what the Java backfill reads from the column).
 *
 * <p>Table rows are {@code value | expected}; {@code NULL} is SQL NULL and a value in backticks is
 * taken verbatim (for the empty string and surrounding spaces).
 */
class ConverterSqlITCase {

    private static final String DB = "converter_sql_it";

    /**
     * The session settings the SQL counterparts are evaluated in. pgjdbc closes a connection whose
     * DateStyle stops beginning with ISO, so settings with another DateStyle (and, to test the
     * counterparts' string literals, {@code standard_conforming_strings = off}) are applied by the
     * SET clauses of a function that runs the query with EXECUTE, as a trigger function would.
     */
    private static final List<Session> SESSIONS =
            List.of(
                    new Session("TimeZone UTC", true, "TimeZone = 'UTC'"),
                    new Session(
                            "TimeZone America/New_York, IntervalStyle sql_standard",
                            true,
                            "TimeZone = 'America/New_York'",
                            "IntervalStyle = 'sql_standard'"),
                    new Session(
                            "TimeZone America/New_York, DateStyle SQL, DMY",
                            false,
                            "TimeZone = 'America/New_York'",
                            "DateStyle = 'SQL, DMY'",
                            "IntervalStyle = 'postgres_verbose'"),
                    new Session(
                            "TimeZone Australia/Lord_Howe, DateStyle German, IntervalStyle"
                                    + " iso_8601, standard_conforming_strings off,"
                                    + " timezone_abbreviations Australia",
                            false,
                            "TimeZone = 'Australia/Lord_Howe'",
                            "DateStyle = 'German'",
                            "IntervalStyle = 'iso_8601'",
                            "standard_conforming_strings = off",
                            "timezone_abbreviations = 'Australia'"),
                    new Session(
                            "TimeZone Asia/Kolkata, DateStyle Postgres, YMD",
                            false,
                            "TimeZone = 'Asia/Kolkata'",
                            "DateStyle = 'Postgres, YMD'",
                            "IntervalStyle = 'postgres'"));

    private static DataSource ds;

    /** One connection per session; sessions that run through a function share the first. */
    private static final List<Connection> CONNECTIONS = new ArrayList<>();

    @BeforeAll
    static void createDatabase() throws SQLException {
        ds = TestingPostgres.get().createDatabase(DB);
        for (int i = 0; i < SESSIONS.size(); i++) {
            Session session = SESSIONS.get(i);
            Connection c = ds.getConnection();
            CONNECTIONS.add(c);
            try (Statement s = c.createStatement()) {
                if (session.direct) {
                    for (String setting : session.settings) {
                        s.execute("SET " + setting);
                    }
                } else {
                    s.execute(
                            "CREATE FUNCTION "
                                    + session.function(i)
                                    + "(q text, j text, v text) RETURNS text LANGUAGE plpgsql"
                                    + " SET "
                                    + String.join(" SET ", session.settings)
                                    + " AS $f$DECLARE same boolean; got text; BEGIN EXECUTE q"
                                    + " INTO same, got USING j, v; RETURN CASE WHEN same THEN"
                                    + " 'same' ELSE coalesce(got, 'NULL') END; END$f$");
                }
            }
        }
    }

    @AfterAll
    static void close() throws SQLException {
        for (Connection c : CONNECTIONS) {
            c.close();
        }
        CONNECTIONS.clear();
    }

    // ---------------------------------------------------------------- the tables

    private static List<Table> tables() {
        List<Table> tables = new ArrayList<>();
        tables.addAll(integerTables());
        tables.addAll(numericTables());
        tables.addAll(jsonbTables());
        tables.addAll(timestampTables());
        tables.addAll(formatTables());
        return tables;
    }

    private static List<Table> integerTables() {
        return List.of(
                new Table("integer", "smallint", "text")
                        .rows(
                                """
                                -32768   | -32768
                                32767    | 32767
                                +32767   | 32767
                                0        | 0
                                -0       | 0
                                007      | 7
                                NULL     | NULL
                                -32769   | ! is out of range for type smallint
                                32768    | ! is out of range for type smallint
                                ``       | ! is not an integer
                                ` `      | ! is not an integer
                                ` 1`     | ! is not an integer
                                `1 `     | ! is not an integer
                                1.0      | ! is not an integer
                                1e3      | ! is not an integer
                                1_000    | ! is not an integer
                                0x1F     | ! is not an integer
                                +        | ! is not an integer
                                -        | ! is not an integer
                                ١٢       | ! is not an integer
                                """),
                new Table("integer", "smallint", "integer")
                        .rows(
                                """
                                -32768 | -32768
                                32767  | 32767
                                0      | 0
                                NULL   | NULL
                                -32769 | ! is out of range for type smallint
                                32768  | ! is out of range for type smallint
                                """),
                new Table("integer", "integer", "bigint")
                        .rows(
                                """
                                -2147483648          | -2147483648
                                2147483647           | 2147483647
                                NULL                 | NULL
                                -2147483649          | ! is out of range for type integer
                                2147483648           | ! is out of range for type integer
                                -9223372036854775808 | ! is out of range for type integer
                                """),
                new Table("integer", "int8", "text")
                        .rows(
                                """
                                -9223372036854775808        | -9223372036854775808
                                9223372036854775807         | 9223372036854775807
                                +9223372036854775807        | 9223372036854775807
                                000000000000000000000000001 | 1
                                NULL                        | NULL
                                -9223372036854775809        | ! is out of range for type bigint
                                9223372036854775808         | ! is out of range for type bigint
                                99999999999999999999999     | ! is out of range for type bigint
                                """),
                new Table("integer", "integer", "numeric")
                        .rows(
                                """
                                42          | 42
                                -7          | -7
                                1000        | 1000
                                2147483647  | 2147483647
                                NULL        | NULL
                                42.0        | ! is not an integer
                                0.5         | ! is not an integer
                                NaN         | ! is not an integer
                                2147483648  | ! is out of range for type integer
                                """),
                new Table("integer", "smallint", "json")
                        .rows(
                                """
                                5      | 5
                                -0     | 0
                                NULL   | NULL
                                "5"    | ! is not an integer
                                5.0    | ! is not an integer
                                ` 5`   | ! is not an integer
                                null   | ! is not an integer
                                40000  | ! is out of range for type smallint
                                """));
    }

    private static List<Table> numericTables() {
        String fraction16383 = "0." + "0".repeat(16382) + "5";
        String integer131072 = "1" + "0".repeat(131071);
        return List.of(
                new Table("numeric", "numeric(5,2)", "text")
                        .rows(
                                """
                                999.99       | 999.99
                                -999.99      | -999.99
                                +999.99      | 999.99
                                0            | 0.00
                                -0           | 0.00
                                -0.00        | 0.00
                                0.01         | 0.01
                                1.5          | 1.50
                                1.500000     | 1.50
                                .5           | 0.50
                                5.           | 5.00
                                1e2          | 100.00
                                1E+2         | 100.00
                                12345e-2     | 123.45
                                0e1073741823 | 0.00
                                0e-16383     | 0.00
                                NULL         | NULL
                                1000         | ! is out of range for type numeric(5,2)
                                1000.00      | ! is out of range for type numeric(5,2)
                                -1000        | ! is out of range for type numeric(5,2)
                                999.995      | ! has more than 2 fractional digits for type numeric(5,2)
                                1.005        | ! has more than 2 fractional digits for type numeric(5,2)
                                0.001        | ! has more than 2 fractional digits for type numeric(5,2)
                                1e-16383     | ! has more than 2 fractional digits for type numeric(5,2)
                                1e-16384     | ! is out of range for type numeric(5,2)
                                0e1073741824 | ! is out of range for type numeric(5,2)
                                NaN          | ! is not a finite number for type numeric(5,2)
                                Infinity     | ! is not a finite number for type numeric(5,2)
                                -inf         | ! is not a finite number for type numeric(5,2)
                                ``           | ! is not a number
                                ` 1.5`       | ! is not a number
                                abc          | ! is not a number
                                1_000        | ! is not a number
                                1,5          | ! is not a number
                                """)
                        .row("1." + "0".repeat(16383), "1.00")
                        .row("1." + "0".repeat(16384), "! is out of range for type numeric(5,2)"),
                new Table("numeric", "numeric(5,2)", "text", "rounding=half-up")
                        .rows(
                                """
                                1.005       | 1.01
                                -1.005      | -1.01
                                1.004999    | 1.00
                                0.005       | 0.01
                                -0.005      | -0.01
                                -0.001      | 0.00
                                999.994     | 999.99
                                -999.994    | -999.99
                                1e-16383    | 0.00
                                0.00e-16381 | 0.00
                                999.995     | ! is out of range for type numeric(5,2)
                                -999.995    | ! is out of range for type numeric(5,2)
                                1e-16384    | ! is out of range for type numeric(5,2)
                                0.000e-16381 | ! is out of range for type numeric(5,2)
                                NaN         | ! is not a finite number for type numeric(5,2)
                                """)
                        .row(fraction16383, "0.00"),
                new Table("numeric", "numeric(3,-2)", "integer", "rounding=half-up")
                        .rows(
                                """
                                12350  | 12400
                                -12350 | -12400
                                12349  | 12300
                                99949  | 99900
                                0      | 0
                                NULL   | NULL
                                99950  | ! is out of range for type numeric(3,-2)
                                """),
                new Table("numeric", "numeric(3,-2)", "integer")
                        .rows(
                                """
                                12300  | 12300
                                12350  | ! is not a multiple of 100 for type numeric(3,-2)
                                """),
                new Table("numeric", "numeric(3,5)", "text")
                        .rows(
                                """
                                0.00999 | 0.00999
                                -0.001  | -0.00100
                                0.01    | ! is out of range for type numeric(3,5)
                                """),
                new Table("numeric", "numeric(12,2)", "bigint")
                        .rows(
                                """
                                2147483647    | 2147483647.00
                                -9999999999   | -9999999999.00
                                NULL          | NULL
                                10000000000   | ! is out of range for type numeric(12,2)
                                """),
                new Table("numeric", "numeric", "text")
                        .rows(
                                """
                                1.50         | 1.50
                                1e3          | 1000
                                0e5          | 0
                                -0.00        | 0.00
                                +.5          | 0.5
                                -5.          | -5
                                1e0000000000000000003 | 1000
                                -1.5E-3      | -0.0015
                                0e1073741823 | 0
                                123456789012345678901234567890.123456789 | 123456789012345678901234567890.123456789
                                NaN          | NaN
                                nan          | NaN
                                NAN          | NaN
                                Infinity     | Infinity
                                +Infinity    | Infinity
                                INFINITY     | Infinity
                                +inf         | Infinity
                                inf          | Infinity
                                INF          | Infinity
                                -INFINITY    | -Infinity
                                -Infinity    | -Infinity
                                -inf         | -Infinity
                                NULL         | NULL
                                1e-16384     | ! is out of range for type numeric
                                0.50e-16382  | ! is out of range for type numeric
                                1e131072     | ! is out of range for type numeric
                                1e1073741824 | ! is out of range for type numeric
                                ``           | ! is not a number
                                abc          | ! is not a number
                                1_000        | ! is not a number
                                """)
                        .row("0.5e-16382", fraction16383)
                        .row("1e-16383", "0." + "0".repeat(16382) + "1")
                        .row("1e131071", integer131072)
                        .row(integer131072, integer131072)
                        .row(integer131072 + "0", "! is out of range for type numeric"),
                new Table("numeric", "numeric", "numeric")
                        .rows(
                                """
                                1.50      | 1.50
                                0.000     | 0.000
                                -0.00001  | -0.00001
                                NaN       | NaN
                                Infinity  | Infinity
                                -Infinity | -Infinity
                                NULL      | NULL
                                """),
                new Table("numeric", "numeric(5,2)", "numeric")
                        .rows(
                                """
                                1.50      | 1.50
                                -999.99   | -999.99
                                1.005     | ! has more than 2 fractional digits for type numeric(5,2)
                                NaN       | ! is not a finite number for type numeric(5,2)
                                -Infinity | ! is not a finite number for type numeric(5,2)
                                """),
                new Table("numeric", "numeric(7,2)", "json", "rounding=half-up")
                        .rows(
                                """
                                1.005   | 1.01
                                1.5e1   | 15.00
                                -0      | 0.00
                                NULL    | NULL
                                "1.5"   | ! is not a number
                                null    | ! is not a number
                                """));
    }

    private static List<Table> jsonbTables() {
        String deep = "[".repeat(2000) + "1" + "]".repeat(2000);
        return List.of(
                new Table("jsonb", "jsonb", "text")
                        .rows(
                                """
                                {}                          | {}
                                []                          | []
                                {"a":1}                     | {"a":1}
                                ` { "a" : 1 , "b" : [ true , false , null ] } ` | ` { "a" : 1 , "b" : [ true , false , null ] } `
                                {"a":1,"a":2}               | {"a":1,"a":2}
                                {"":""}                     | {"":""}
                                ""                          | ""
                                "\\u00e9\\n\\"\\\\"         | "\\u00e9\\n\\"\\\\"
                                "\\ud83d\\ude00"            | "\\ud83d\\ude00"
                                "ünïcødé €"                 | "ünïcødé €"
                                -0                          | -0
                                -0.0                        | -0.0
                                1.5E+10                     | 1.5E+10
                                1e-16383                    | 1e-16383
                                0e-16383                    | 0e-16383
                                1e131071                    | 1e131071
                                null                        | null
                                true                        | true
                                NULL                        | NULL
                                ``        | ! is not valid JSON: No content at line 1, column 1
                                ` `       | ! is not valid JSON: No content at line 1, column 2
                                {         | ! is not valid JSON: Unexpected end-of-input: expected close marker for Object at line 1, column 2
                                [1,]      | ! is not valid JSON: Unexpected character (']' (code 93)) at line 1, column 4
                                {"a":1,}  | ! is not valid JSON: Unexpected character ('}' (code 125)): was expecting double-quote to start field name at line 1, column 8
                                NaN       | ! is not valid JSON: Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow at line 1, column 4
                                01        | ! is not valid JSON: Invalid numeric value: Leading zeroes not allowed at line 1, column 2
                                1.        | ! is not valid JSON: Unexpected character ('.' (code 46)) in numeric value: Decimal point not followed by a digit at line 1, column 2
                                .5        | ! is not valid JSON: Unexpected character ('.' (code 46)) at line 1, column 1
                                1 2       | ! is not valid JSON: Trailing token '2' after the JSON value at line 1, column 3
                                'a'       | ! is not valid JSON: Unexpected character (''' (code 39)) at line 1, column 1
                                "\\u0000" | ! is not valid JSON: Unicode escape \\u0000 is not supported by jsonb at line 1, column 1
                                "\\ud83d" | ! is not valid JSON: Unicode high surrogate escape not followed by a low surrogate at line 1, column 1
                                1e-16384  | ! is out of range for type jsonb: number at line 1, column 1 does not fit type numeric
                                1e131072  | ! is out of range for type jsonb: number at line 1, column 1 does not fit type numeric
                                """)
                        .row(deep, deep)
                        .row("\"\u007f \u2028 \uffff\"", "\"\u007f \u2028 \uffff\"")
                        .row("[" + "1".repeat(131072) + "]", "[" + "1".repeat(131072) + "]")
                        .row(
                                "[" + "1".repeat(131073) + "]",
                                "! is out of range for type jsonb: number at line 1, column 2 does"
                                        + " not fit type numeric"),
                new Table("jsonb", "jsonb", "json")
                        .rows(
                                """
                                {"b":1, "a":[1,2,{"c":null}]} | {"b":1, "a":[1,2,{"c":null}]}
                                ` [1, 2] `                    | ` [1, 2] `
                                {"a":1,"a":2}                 | {"a":1,"a":2}
                                NULL                          | NULL
                                "\\u0000" | ! is not valid JSON: Unicode escape \\u0000 is not supported by jsonb at line 1, column 1
                                "\\ud800" | ! is not valid JSON: Unicode high surrogate escape not followed by a low surrogate at line 1, column 1
                                """));
    }

    private static List<Table> timestampTables() {
        return List.of(
                new Table("timestamptz", "timestamp with time zone", "timestamp", "zone=UTC")
                        .rows(
                                """
                                2024-01-02 03:04:05.123456    | 2024-01-02 03:04:05.123456+00:00
                                2024-01-02 03:04:05           | 2024-01-02 03:04:05.000000+00:00
                                2024-02-29 23:59:59.999999    | 2024-02-29 23:59:59.999999+00:00
                                1970-01-01 00:00:00           | 1970-01-01 00:00:00.000000+00:00
                                0001-01-01 00:00:00           | 0001-01-01 00:00:00.000000+00:00
                                0001-12-31 23:59:59.999999 BC | 0001-12-31 23:59:59.999999+00:00 BC
                                0044-03-15 12:00:00 BC        | 0044-03-15 12:00:00.000000+00:00 BC
                                4714-11-24 00:00:00 BC        | 4714-11-24 00:00:00.000000+00:00 BC
                                294276-12-31 23:59:59.999999  | 294276-12-31 23:59:59.999999+00:00
                                12345-06-07 08:09:10.5        | 12345-06-07 08:09:10.500000+00:00
                                infinity                      | infinity
                                -infinity                     | -infinity
                                NULL                          | NULL
                                """),
                new Table("timestamptz", "timestamptz", "text", "zone=UTC")
                        .rows(
                                """
                                2024-01-02 03:04:05.123456    | 2024-01-02 03:04:05.123456+00:00
                                0044-03-15 12:00:00 BC        | 0044-03-15 12:00:00.000000+00:00 BC
                                4714-11-24 00:00:00 BC        | 4714-11-24 00:00:00.000000+00:00 BC
                                294276-12-31 23:59:59.999999  | 294276-12-31 23:59:59.999999+00:00
                                12345-06-07 08:09:10.5        | 12345-06-07 08:09:10.500000+00:00
                                02024-01-02 03:04:05          | 2024-01-02 03:04:05.000000+00:00
                                000012345-06-07 08:09:10      | 12345-06-07 08:09:10.000000+00:00
                                00044-03-15 12:00:00 BC       | 0044-03-15 12:00:00.000000+00:00 BC
                                infinity                      | infinity
                                Infinity                      | infinity
                                INFINITY                      | infinity
                                -INFINITY                     | -infinity
                                NULL                          | NULL
                                `infinity `                   | ! is not a timestamp
                                now                           | ! is not a timestamp
                                epoch                         | ! is not a timestamp
                                ``                            | ! is not a timestamp
                                ` `                           | ! is not a timestamp
                                2024-01-02                    | ! is not a timestamp
                                2024-01-02T03:04:05           | ! is not a timestamp
                                ` 2024-01-02 03:04:05`        | ! is not a timestamp
                                2024-01-02 03:04:05+00        | ! is not a timestamp
                                2024-01-02 03:04:05.1234567   | ! is not a timestamp
                                2024-01-02 03:04:05.          | ! is not a timestamp
                                2024-1-2 03:04:05             | ! is not a timestamp
                                2023-02-29 00:00:00           | ! is not a timestamp
                                2024-01-02 24:00:00           | ! is not a timestamp
                                0000-01-01 00:00:00           | ! is not a timestamp
                                4714-11-23 23:59:59.999999 BC | ! is out of range for type timestamp with time zone
                                294277-01-01 00:00:00         | ! is out of range for type timestamp with time zone
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=Europe/Berlin")
                        .rows(
                                """
                                2024-03-31 01:59:59.999999    | 2024-03-31 01:59:59.999999+01:00
                                2024-03-31 02:00:00           | ! does not exist in zone Europe/Berlin
                                2024-03-31 02:30:00           | ! does not exist in zone Europe/Berlin
                                2024-03-31 02:59:59.999999    | ! does not exist in zone Europe/Berlin
                                2024-03-31 03:00:00           | 2024-03-31 03:00:00.000000+02:00
                                2024-10-27 01:59:59.999999    | 2024-10-27 01:59:59.999999+02:00
                                2024-10-27 02:00:00           | 2024-10-27 02:00:00.000000+01:00
                                2024-10-27 02:30:00           | 2024-10-27 02:30:00.000000+01:00
                                2024-10-27 02:59:59.999999    | 2024-10-27 02:59:59.999999+01:00
                                2024-10-27 03:00:00           | 2024-10-27 03:00:00.000000+01:00
                                1945-05-24 02:30:00           | ! does not exist in zone Europe/Berlin
                                1945-09-24 02:30:00           | 1945-09-24 02:30:00.000000+02:00
                                1945-11-18 02:30:00           | 1945-11-18 02:30:00.000000+01:00
                                1893-04-01 00:00:00           | ! does not exist in zone Europe/Berlin
                                1893-03-31 23:59:59           | 1893-03-31 23:59:59.000000+00:53:28
                                1800-01-01 00:00:00           | 1800-01-01 00:00:00.000000+00:53:28
                                4714-11-24 00:53:28 BC        | 4714-11-24 00:53:28.000000+00:53:28 BC
                                4714-11-24 00:53:27.999999 BC | ! is out of range for type timestamp with time zone
                                294276-07-01 12:00:00         | 294276-07-01 12:00:00.000000+02:00
                                294276-10-29 02:30:00         | 294276-10-29 02:30:00.000000+01:00
                                294276-12-31 23:59:59.999999  | 294276-12-31 23:59:59.999999+01:00
                                infinity                      | infinity
                                NULL                          | NULL
                                """),
                new Table("timestamptz", "timestamptz", "text", "zone=Europe/Berlin")
                        .rows(
                                """
                                2024-10-27 02:30:00           | 2024-10-27 02:30:00.000000+01:00
                                294276-12-31 23:59:59.999999  | 294276-12-31 23:59:59.999999+01:00
                                294277-01-01 00:30:00         | ! is out of range for type timestamp with time zone
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "timestamp",
                                "zone=Europe/Berlin",
                                "gap=shift",
                                "overlap=earlier")
                        .rows(
                                """
                                2024-03-31 01:59:59.999999   | 2024-03-31 01:59:59.999999+01:00
                                2024-03-31 02:00:00          | 2024-03-31 03:00:00.000000+02:00
                                2024-03-31 02:30:00          | 2024-03-31 03:30:00.000000+02:00
                                2024-03-31 02:59:59.999999   | 2024-03-31 03:59:59.999999+02:00
                                2024-03-31 03:00:00          | 2024-03-31 03:00:00.000000+02:00
                                2024-10-27 01:59:59.999999   | 2024-10-27 01:59:59.999999+02:00
                                2024-10-27 02:00:00          | 2024-10-27 02:00:00.000000+02:00
                                2024-10-27 02:30:00          | 2024-10-27 02:30:00.000000+02:00
                                2024-10-27 02:59:59.999999   | 2024-10-27 02:59:59.999999+02:00
                                2024-10-27 03:00:00          | 2024-10-27 03:00:00.000000+01:00
                                1945-05-24 02:30:00          | 1945-05-24 03:30:00.000000+03:00
                                1945-09-24 02:30:00          | 1945-09-24 02:30:00.000000+03:00
                                1945-11-18 02:30:00          | 1945-11-18 02:30:00.000000+02:00
                                1916-10-01 00:30:00          | 1916-10-01 00:30:00.000000+02:00
                                1800-01-01 00:00:00          | 1800-01-01 00:00:00.000000+00:53:28
                                4714-11-24 01:00:00 BC       | 4714-11-24 01:00:00.000000+00:53:28 BC
                                4714-11-24 00:53:28 BC       | 4714-11-24 00:53:28.000000+00:53:28 BC
                                294276-10-29 02:30:00        | 294276-10-29 02:30:00.000000+02:00
                                294276-12-31 23:59:59.999999 | 294276-12-31 23:59:59.999999+01:00
                                -infinity                    | -infinity
                                NULL                         | NULL
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "zone=America/New_York",
                                "overlap=earlier")
                        .rows(
                                """
                                1883-11-18 12:00:00          | 1883-11-18 12:00:00.000000-04:56:02
                                1883-11-18 12:02:00          | 1883-11-18 12:02:00.000000-04:56:02
                                1883-11-18 12:03:57.999999   | 1883-11-18 12:03:57.999999-04:56:02
                                1883-11-18 12:03:58          | 1883-11-18 12:03:58.000000-05:00
                                2024-11-03 00:59:59.999999   | 2024-11-03 00:59:59.999999-04:00
                                2024-11-03 01:00:00          | 2024-11-03 01:00:00.000000-04:00
                                2024-11-03 01:30:00          | 2024-11-03 01:30:00.000000-04:00
                                2024-11-03 02:00:00          | 2024-11-03 02:00:00.000000-05:00
                                2024-03-10 01:59:59          | 2024-03-10 01:59:59.000000-05:00
                                2024-03-10 02:30:00          | ! does not exist in zone America/New_York
                                2024-03-10 03:00:00          | 2024-03-10 03:00:00.000000-04:00
                                4714-11-24 00:00:00 BC       | 4714-11-24 00:00:00.000000-04:56:02 BC
                                4714-11-23 23:30:00 BC       | ! is out of range for type timestamp with time zone
                                294276-12-31 18:59:59.999999 | 294276-12-31 18:59:59.999999-05:00
                                294276-12-31 19:00:00        | ! is out of range for type timestamp with time zone
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=America/New_York")
                        .rows(
                                """
                                1883-11-18 12:02:00          | 1883-11-18 12:02:00.000000-05:00
                                2024-11-03 01:30:00          | 2024-11-03 01:30:00.000000-05:00
                                2024-11-03 01:59:59.999999   | 2024-11-03 01:59:59.999999-05:00
                                2024-03-10 02:30:00          | ! does not exist in zone America/New_York
                                294276-12-31 18:59:59.999999 | 294276-12-31 18:59:59.999999-05:00
                                294276-12-31 19:00:00        | ! is out of range for type timestamp with time zone
                                """),
                // overlaps of 30 minutes (since 1985) and of 36:20 (the end of local mean time)
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "timestamp",
                                "zone=Australia/Lord_Howe",
                                "gap=shift",
                                "overlap=earlier")
                        .rows(
                                """
                                2024-04-07 01:29:59.999999 | 2024-04-07 01:29:59.999999+11:00
                                2024-04-07 01:30:00        | 2024-04-07 01:30:00.000000+11:00
                                2024-04-07 01:45:00        | 2024-04-07 01:45:00.000000+11:00
                                2024-04-07 01:59:59.999999 | 2024-04-07 01:59:59.999999+11:00
                                2024-04-07 02:00:00        | 2024-04-07 02:00:00.000000+10:30
                                2024-10-06 02:15:00        | 2024-10-06 02:45:00.000000+11:00
                                1895-01-31 23:50:00        | 1895-01-31 23:50:00.000000+10:36:20
                                1895-02-01 00:00:00        | 1895-02-01 00:00:00.000000+10:00
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=Australia/Lord_Howe")
                        .rows(
                                """
                                2024-04-07 01:45:00 | 2024-04-07 01:45:00.000000+10:30
                                2024-10-06 02:15:00 | ! does not exist in zone Australia/Lord_Howe
                                1895-01-31 23:50:00 | 1895-01-31 23:50:00.000000+10:00
                                """),
                // a day skipped (2011) and a day repeated (1892)
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "timestamp",
                                "zone=Pacific/Apia",
                                "gap=shift",
                                "overlap=earlier")
                        .rows(
                                """
                                2011-12-29 23:59:59.999999 | 2011-12-29 23:59:59.999999-10:00
                                2011-12-30 00:00:00        | 2011-12-31 00:00:00.000000+14:00
                                2011-12-30 12:00:00        | 2011-12-31 12:00:00.000000+14:00
                                2011-12-31 00:00:00        | 2011-12-31 00:00:00.000000+14:00
                                1892-07-04 12:00:00        | 1892-07-04 12:00:00.000000+12:33:04
                                1892-07-05 00:00:00        | 1892-07-05 00:00:00.000000-11:26:56
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=Pacific/Apia")
                        .rows(
                                """
                                2011-12-30 12:00:00 | ! does not exist in zone Pacific/Apia
                                1892-07-04 12:00:00 | 1892-07-04 12:00:00.000000-11:26:56
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=+05:30")
                        .rows(
                                """
                                2024-01-02 03:04:05           | 2024-01-02 03:04:05.000000+05:30
                                4714-11-24 05:30:00 BC        | 4714-11-24 05:30:00.000000+05:30 BC
                                4714-11-24 05:29:59.999999 BC | ! is out of range for type timestamp with time zone
                                294276-12-31 23:59:59.999999  | 294276-12-31 23:59:59.999999+05:30
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=-15:59")
                        .rows(
                                """
                                294276-12-31 08:00:59.999999 | 294276-12-31 08:00:59.999999-15:59
                                294276-12-31 08:01:00        | ! is out of range for type timestamp with time zone
                                4714-11-24 00:00:00 BC       | 4714-11-24 00:00:00.000000-15:59 BC
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=+05:30:15")
                        .rows("2024-01-02 03:04:05 | 2024-01-02 03:04:05.000000+05:30:15"),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=Etc/GMT-14")
                        .rows("2024-01-02 03:04:05 | 2024-01-02 03:04:05.000000+14:00"),
                // names PostgreSQL may read as abbreviations (CET: +01:00) become regions
                new Table("timestamptz", "timestamptz", "timestamp", "zone=CET")
                        .rows(
                                """
                                2024-07-01 12:00:00 | 2024-07-01 12:00:00.000000+02:00
                                2024-10-27 02:30:00 | 2024-10-27 02:30:00.000000+01:00
                                """),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=EST5EDT")
                        .rows("2024-07-01 12:00:00 | 2024-07-01 12:00:00.000000-04:00"),
                new Table("timestamptz", "timestamptz", "timestamp", "zone=Japan")
                        .rows(
                                """
                                2024-07-01 12:00:00 | 2024-07-01 12:00:00.000000+09:00
                                1887-12-31 15:00:00 | 1887-12-31 15:00:00.000000+09:18:59
                                """),
                new Table("timestamptz", "timestamptz(0)", "timestamp", "zone=Asia/Kolkata")
                        .rows(
                                """
                                2024-01-02 03:04:05   | 2024-01-02 03:04:05.000000+05:30
                                2024-01-02 03:04:05.5 | ! has more than 0 fractional digits of seconds for type timestamp(0) with time zone
                                """),
                new Table(
                                "timestamptz",
                                "timestamp(3) with time zone",
                                "timestamp",
                                "zone=Europe/Berlin")
                        .rows(
                                """
                                2024-01-02 03:04:05.123  | 2024-01-02 03:04:05.123000+01:00
                                2024-01-02 03:04:05.999  | 2024-01-02 03:04:05.999000+01:00
                                2024-01-02 03:04:05.1234 | ! has more than 3 fractional digits of seconds for type timestamp(3) with time zone
                                2024-01-02 03:04:05.9995 | ! has more than 3 fractional digits of seconds for type timestamp(3) with time zone
                                """));
    }

    private static List<Table> formatTables() {
        return List.of(
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=yyyy-MM-dd HH:mm:ss",
                                "zone=Europe/Berlin")
                        .rows(
                                """
                                2024-01-02 03:04:05    | 2024-01-02 03:04:05.000000+01:00
                                2024-07-01 12:00:00    | 2024-07-01 12:00:00.000000+02:00
                                2024-10-27 02:30:00    | 2024-10-27 02:30:00.000000+01:00
                                2024-03-31 02:30:00    | ! does not exist in zone Europe/Berlin
                                0001-01-01 00:00:00    | 0001-01-01 00:00:00.000000+00:53:28
                                +294276-12-31 23:59:59 | 294276-12-31 23:59:59.000000+01:00
                                294276-12-31 23:59:59  | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                +12024-01-01 00:00:00  | 12024-01-01 00:00:00.000000+01:00
                                12024-01-01 00:00:00   | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                +294277-01-01 00:00:00 | ! is out of range for type timestamp with time zone
                                infinity               | infinity
                                Infinity               | infinity
                                -INFINITY              | -infinity
                                NULL                   | NULL
                                ``                     | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                2024-1-2 03:04:05      | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                2024-01-02T03:04:05    | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                0000-01-01 00:00:00    | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                `2024-01-02 03:04:05 ` | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                2024-02-30 00:00:00    | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                2024-01-02 03:04:60    | ! does not match format 'yyyy-MM-dd HH:mm:ss'
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=yyyy-MM-dd HH:mm:ss",
                                "zone=America/New_York",
                                "gap=shift",
                                "overlap=earlier")
                        .rows(
                                """
                                2024-11-03 01:30:00 | 2024-11-03 01:30:00.000000-04:00
                                2024-11-03 02:00:00 | 2024-11-03 02:00:00.000000-05:00
                                2024-03-10 02:30:00 | 2024-03-10 03:30:00.000000-04:00
                                1883-11-18 12:02:00 | 1883-11-18 12:02:00.000000-04:56:02
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=yyyy-MM-dd'T'HH:mm:ss.SSSXXX")
                        .rows(
                                """
                                2024-01-02T03:04:05.123+05:30 | 2024-01-02 03:04:05.123000+05:30
                                2024-01-02T03:04:05.000Z      | 2024-01-02 03:04:05.000000+00:00
                                2024-01-02T03:04:05.100-00:30 | 2024-01-02 03:04:05.100000-00:30
                                2024-01-02T03:04:05.999+15:59 | 2024-01-02 03:04:05.999000+15:59
                                2024-01-02T03:04:05.999-15:59 | 2024-01-02 03:04:05.999000-15:59
                                0001-01-01T00:00:00.000+01:00 | 0001-01-01 00:00:00.000000+01:00
                                infinity                      | infinity
                                2024-01-02T03:04:05.123+16:00 | ! has a UTC offset out of range for type timestamp with time zone
                                2024-01-02T03:04:05.123       | ! does not match format 'yyyy-MM-dd'T'HH:mm:ss.SSSXXX'
                                2024-01-02T03:04:05.12+05:30  | ! does not match format 'yyyy-MM-dd'T'HH:mm:ss.SSSXXX'
                                2024-01-02T03:04:05.123z      | ! does not match format 'yyyy-MM-dd'T'HH:mm:ss.SSSXXX'
                                2024-01-02T03:04:05.123+0530  | ! does not match format 'yyyy-MM-dd'T'HH:mm:ss.SSSXXX'
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=yyyy-MM-dd HH:mm:ssXXX",
                                "zone=Europe/Berlin")
                        .rows(
                                "+294277-01-01 00:00:00+01:00 |"
                                        + " 294277-01-01 00:00:00.000000+01:00"),
                new Table("timestamptz", "timestamptz", "text", "format=yyyyMMddHHmmss")
                        .rows(
                                """
                                20240102030405    | 2024-01-02 03:04:05.000000+00:00
                                +120240102030405  | 12024-01-02 03:04:05.000000+00:00
                                +2942761231235959 | 294276-12-31 23:59:59.000000+00:00
                                00010101000000    | 0001-01-01 00:00:00.000000+00:00
                                120240102030405   | ! does not match format 'yyyyMMddHHmmss'
                                2024010203040     | ! does not match format 'yyyyMMddHHmmss'
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=ddMMyyyyHHmmXX")
                        .rows(
                                """
                                020120240304+0530   | 2024-01-02 03:04:00.000000+05:30
                                020120240304Z       | 2024-01-02 03:04:00.000000+00:00
                                0201+120240304-0800 | 12024-01-02 03:04:00.000000-08:00
                                020120240304+05:30  | ! does not match format 'ddMMyyyyHHmmXX'
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=dd.MM.yyyy", "zone=+05:30")
                        .rows(
                                """
                                02.01.2024 | 2024-01-02 00:00:00.000000+05:30
                                29.02.2024 | 2024-02-29 00:00:00.000000+05:30
                                29.02.2023 | ! does not match format 'dd.MM.yyyy'
                                2.1.2024   | ! does not match format 'dd.MM.yyyy'
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=MM/dd/yyyy hh:mm a",
                                "zone=America/New_York")
                        .rows(
                                """
                                01/02/2024 03:04 PM | 2024-01-02 15:04:00.000000-05:00
                                12/31/2023 12:00 AM | 2023-12-31 00:00:00.000000-05:00
                                12/31/2023 12:00 PM | 2023-12-31 12:00:00.000000-05:00
                                11/03/2024 01:30 AM | 2024-11-03 01:30:00.000000-05:00
                                01/02/2024 13:04 PM | ! does not match format 'MM/dd/yyyy hh:mm a'
                                01/02/2024 03:04 pm | ! does not match format 'MM/dd/yyyy hh:mm a'
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=d MMM uuuu H:mm")
                        .rows(
                                """
                                5 Jan 2024 7:05   | 2024-01-05 07:05:00.000000+00:00
                                05 Sep 2024 07:05 | 2024-09-05 07:05:00.000000+00:00
                                31 Dec 2024 23:59 | 2024-12-31 23:59:00.000000+00:00
                                1 May 2024 0:00   | 2024-05-01 00:00:00.000000+00:00
                                5 Sept 2024 7:05  | ! does not match format 'd MMM uuuu H:mm'
                                5 jan 2024 7:05   | ! does not match format 'd MMM uuuu H:mm'
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=EEEE, d MMMM yyyy",
                                "zone=Europe/Berlin")
                        .rows(
                                """
                                Thursday, 5 September 2024 | 2024-09-05 00:00:00.000000+02:00
                                Wednesday, 1 May 2024      | 2024-05-01 00:00:00.000000+02:00
                                Friday, 5 September 2024   | ! does not match format 'EEEE, d MMMM yyyy'
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=EEE dd.MM.yyyy HH:mm:ss.SSSSSSSSS")
                        .rows(
                                """
                                Tue 02.01.2024 03:04:05.123456000 | 2024-01-02 03:04:05.123456+00:00
                                Tue 02.01.2024 03:04:05.123456789 | ! has more than 6 fractional digits of seconds for type timestamp with time zone
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=yyyy\\MM\"dd''HH 'o''clock'",
                                "zone=Europe/Berlin")
                        .rows("2024\\01\"02'03 o'clock | 2024-01-02 03:00:00.000000+01:00"),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format='日'ddyyyyMM",
                                "zone=Asia/Tokyo")
                        .rows(
                                """
                                日02202401   | 2024-01-02 00:00:00.000000+09:00
                                日02+1202401 | 12024-01-02 00:00:00.000000+09:00
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz(3)",
                                "text",
                                "format=yyyy-MM-dd HH:mm:ss.SSSSSS")
                        .rows(
                                """
                                2024-01-02 03:04:05.123000 | 2024-01-02 03:04:05.123000+00:00
                                2024-01-02 03:04:05.123400 | ! has more than 3 fractional digits of seconds for type timestamp(3) with time zone
                                """),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=yyyy-MM-dd HH:mm",
                                "zone=+05:30:15")
                        .rows("2024-01-02 03:04 | 2024-01-02 03:04:00.000000+05:30:15"),
                new Table(
                                "timestamptz",
                                "timestamptz",
                                "text",
                                "format=yyyy-MM-dd HH:mm",
                                "zone=Australia/Lord_Howe",
                                "overlap=earlier",
                                "gap=shift")
                        .rows(
                                """
                                2024-04-07 01:45 | 2024-04-07 01:45:00.000000+11:00
                                2024-04-07 02:00 | 2024-04-07 02:00:00.000000+10:30
                                2024-10-06 02:15 | 2024-10-06 02:45:00.000000+11:00
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=yyyy-MM-dd HH:mmxx")
                        .rows(
                                """
                                2024-01-02 03:04+0530 | 2024-01-02 03:04:00.000000+05:30
                                2024-01-02 03:04-0000 | 2024-01-02 03:04:00.000000+00:00
                                2024-01-02 03:04+0000 | 2024-01-02 03:04:00.000000+00:00
                                2024-01-02 03:04Z     | ! does not match format 'yyyy-MM-dd HH:mmxx'
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=yyyy-MM-dd HH:mmXXX'/'ss")
                        .rows(
                                """
                                2024-01-02 03:04Z/05      | 2024-01-02 03:04:05.000000+00:00
                                2024-01-02 03:04+01:00/05 | 2024-01-02 03:04:05.000000+01:00
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=yyyyMMddHHmmssSSS")
                        .rows(
                                """
                                20240102030405123   | 2024-01-02 03:04:05.123000+00:00
                                +120240102030405009 | 12024-01-02 03:04:05.009000+00:00
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=yyyy-MM-dd HH:mm:ss.SS")
                        .rows(
                                """
                                2024-01-02 03:04:05.07 | 2024-01-02 03:04:05.070000+00:00
                                2024-01-02 03:04:05.7  | ! does not match format 'yyyy-MM-dd HH:mm:ss.SS'
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=yyyy-MM-dd HH:mm:ss.SSSS")
                        .rows("2024-01-02 03:04:05.0007 | 2024-01-02 03:04:05.000700+00:00"),
                new Table("timestamptz", "timestamptz", "text", "format=yyyy-MM-dd HH:mm:ss.SSSSS")
                        .rows("2024-01-02 03:04:05.00007 | 2024-01-02 03:04:05.000070+00:00"),
                new Table("timestamptz", "timestamptz", "text", "format=ddMMMyyyy")
                        .rows(
                                """
                                05Jan2024 | 2024-01-05 00:00:00.000000+00:00
                                5Jan2024  | ! does not match format 'ddMMMyyyy'
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=yyyy-MM-dd", "zone=Japan")
                        .rows(
                                """
                                2024-01-02 | 2024-01-02 00:00:00.000000+09:00
                                -infinity  | -infinity
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=yyyy-M-d H:m:s.S")
                        .rows(
                                """
                                2024-1-5 7:5:6.7                   | 2024-01-05 07:05:06.700000+00:00
                                2024-01-05 07:05:06.7              | 2024-01-05 07:05:06.700000+00:00
                                2024-001-005 007:005:006.7         | 2024-01-05 07:05:06.700000+00:00
                                2024-1-5 0000000000000000007:5:6.7 | 2024-01-05 07:05:06.700000+00:00
                                """),
                new Table("timestamptz", "timestamptz", "text", "format=uuuu-MM-dd")
                        .rows(
                                """
                                0001-01-01  | 0001-01-01 00:00:00.000000+00:00
                                0000-01-01  | ! does not match format 'uuuu-MM-dd'
                                -0001-01-01 | ! does not match format 'uuuu-MM-dd'
                                """));
    }

    // ---------------------------------------------------------------- the tests

    @TestFactory
    Stream<DynamicNode> javaAndSqlAgreeOnEveryValueJavaAccepts() {
        return tables().stream()
                .map(
                        table ->
                                DynamicContainer.dynamicContainer(
                                        table.toString(),
                                        table.rows.stream()
                                                .map(
                                                        row ->
                                                                DynamicTest.dynamicTest(
                                                                        row.toString(),
                                                                        () -> check(table, row)))));
    }

    /** The test can fail: an expression that is not the converter's is caught. */
    @Test
    void aDifferentExpressionIsCaught() throws SQLException {
        Table table = new Table("timestamptz", "timestamptz", "timestamp", "zone=Europe/Berlin");
        // CET read as the abbreviation (+01:00), not as the zone
        String wrong =
                "CAST(CAST(\"c\" AS timestamp) AT TIME ZONE 'CET' AS timestamp with time zone)";
        assertThat(
                        evaluate(
                                0,
                                table,
                                wrong,
                                "2024-07-01 12:00:00.000000+02:00",
                                "2024-07-01 12:00:00"))
                .isEqualTo("2024-07-01 11:00:00+00");
        assertThat(
                        evaluate(
                                3,
                                table,
                                table.converter().sqlUsing("\"c\""),
                                "2024-07-01 12:00:00.000000+02:00",
                                "2024-07-01 12:00:00"))
                .isNull();
        // a to_timestamp format read in the session's TimeZone
        String session =
                "to_timestamp(CAST(\"c\" AS text), 'YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\":\"SS')";
        Table text = new Table("timestamptz", "timestamptz", "text", "format=yyyy-MM-dd HH:mm:ss");
        assertThat(
                        evaluate(
                                0,
                                text,
                                session,
                                "2024-07-01 12:00:00.000000+00:00",
                                "2024-07-01 12:00:00"))
                .isNull();
        assertThat(
                        evaluate(
                                1,
                                text,
                                session,
                                "2024-07-01 12:00:00.000000+00:00",
                                "2024-07-01 12:00:00"))
                .isNotNull();
    }

    /**
     * The comparison is by representation: a numeric of another scale and a jsonb number written
     * otherwise are caught, though the type's equality calls them equal.
     */
    @Test
    void anotherScaleOrNumberFormatIsCaught() throws SQLException {
        Table numeric = new Table("numeric", "numeric", "text");
        Table jsonb = new Table("jsonb", "jsonb", "text");
        for (int i = 0; i < SESSIONS.size(); i++) {
            assertThat(evaluate(i, numeric, "CAST('1.000' AS numeric)", "1.0", "1.0"))
                    .as("numeric 1.000 for Java's 1.0 in session %s", SESSIONS.get(i).name)
                    .isEqualTo("1.000");
            assertThat(evaluate(i, numeric, "CAST('1.0' AS numeric)", "1.0", "1.0"))
                    .as("numeric 1.0 for Java's 1.0 in session %s", SESSIONS.get(i).name)
                    .isNull();
            assertThat(evaluate(i, jsonb, "CAST('1' AS jsonb)", "1.0", "1.0"))
                    .as("jsonb 1 for Java's 1.0 in session %s", SESSIONS.get(i).name)
                    .isEqualTo("1");
            assertThat(evaluate(i, jsonb, "CAST('{\"a\": 1.0}' AS jsonb)", "{\"a\": 1.00}", "x"))
                    .as("jsonb {\"a\": 1.0} for Java's 1.00 in session %s", SESSIONS.get(i).name)
                    .isEqualTo("{\"a\": 1.0}");
        }
    }

    private static void check(Table table, Row row) throws SQLException {
        if (row.value != null && !table.oldType.equals("text")) {
            assertThat(oldText(table.oldType, row.value))
                    .as("the %s value's text form", table.oldType)
                    .isEqualTo(row.value);
        }
        Converter converter = table.converter();
        if (row.reason != null) {
            ConversionException e =
                    catchThrowableOfType(
                            ConversionException.class, () -> converter.convert(row.value));
            assertThat(e).as("%s of '%s' should fail", converter, row.value).isNotNull();
            assertThat(Converters.message("c", "7", e))
                    .isEqualTo(
                            "cannot convert column 'c' of row 7: value "
                                    + ConversionException.quote(row.value)
                                    + " "
                                    + row.reason);
            return;
        }
        String converted = converter.convert(row.value);
        assertThat(converted).as("%s of '%s'", converter, row.value).isEqualTo(row.output);
        String sql = converter.sqlUsing("\"c\"");
        for (int i = 0; i < SESSIONS.size(); i++) {
            assertThat(evaluate(i, table, sql, converted, row.value))
                    .as(
                            "in session %s, %s of '%s' is '%s' in Java but the SQL %s differs",
                            SESSIONS.get(i).name, converter, row.value, converted, sql)
                    .isNull();
        }
    }

    /** The old type's text form of {@code value}, as the Java backfill reads it. */
    private static String oldText(String oldType, String value) throws SQLException {
        try (PreparedStatement ps =
                CONNECTIONS
                        .get(0)
                        .prepareStatement("SELECT CAST(CAST(? AS " + oldType + ") AS text)")) {
            ps.setString(1, value);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    /**
     * Evaluates {@code expr} over {@code value} cast to the table's old type in session {@code i}:
     * {@code null} if it is the same value of the new type as {@code converted}, otherwise its
     * text.
     */
    private static String evaluate(int i, Table table, String expr, String converted, String value)
            throws SQLException {
        Session session = SESSIONS.get(i);
        String newType = table.converter().targetType();
        // Compared by representation in this session: both sides as the new type, then as text,
        // so that 1.0 and 1.000 (numeric), or 1.0 and 1 (jsonb), differ as they do when stored.
        String query =
                "SELECT CAST(CAST(%J AS "
                        + newType
                        + ") AS text) IS NOT DISTINCT FROM CAST(CAST(("
                        + expr
                        + ") AS "
                        + newType
                        + ") AS text), CAST(CAST(("
                        + expr
                        + ") AS "
                        + newType
                        + ") AS text) FROM (SELECT CAST(%V AS "
                        + table.oldType
                        + ") AS \"c\") AS t";
        Connection c = CONNECTIONS.get(i);
        if (session.direct) {
            try (PreparedStatement ps =
                    c.prepareStatement(query.replace("%J", "?").replace("%V", "?"))) {
                ps.setString(1, converted);
                ps.setString(2, value);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    return rs.getBoolean(1) ? null : String.valueOf(rs.getString(2));
                }
            }
        }
        try (PreparedStatement ps =
                c.prepareStatement("SELECT " + session.function(i) + "(?, ?, ?)")) {
            ps.setString(1, query.replace("%J", "$1").replace("%V", "$2"));
            ps.setString(2, converted);
            ps.setString(3, value);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                String result = rs.getString(1);
                return result.equals("same") ? null : result;
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Session settings: applied with SET ({@code direct}) or by a function's SET clauses. */
    private static final class Session {
        final String name;
        final boolean direct;
        final List<String> settings;

        Session(String name, boolean direct, String... settings) {
            this.name = name;
            this.direct = direct;
            this.settings = List.of(settings);
        }

        String function(int i) {
            return "evaluate_in_session_" + i;
        }
    }

    /** A converter configuration, the old column's type, and the values to try. */
    private static final class Table {
        final String name;
        final String type;
        final String oldType;
        final Map<String, String> options = new LinkedHashMap<>();
        final List<Row> rows = new ArrayList<>();

        Table(String name, String type, String oldType, String... options) {
            this.name = name;
            this.type = type;
            this.oldType = oldType;
            for (String option : options) {
                int eq = option.indexOf('=');
                this.options.put(option.substring(0, eq), option.substring(eq + 1));
            }
        }

        Converter converter() {
            return Converters.create(name, type, options);
        }

        /** Adds {@code value | expected} lines. */
        Table rows(String lines) {
            for (String line : lines.split("\n")) {
                if (line.isBlank()) {
                    continue;
                }
                int bar = line.indexOf(" | ");
                if (bar < 0) {
                    throw new IllegalArgumentException("no ' | ' in row: " + line);
                }
                row(unquote(line.substring(0, bar).trim()), line.substring(bar + 3).trim());
            }
            return this;
        }

        /** Adds a value and what it converts to ({@code ! reason} for a failure). */
        Table row(String value, String expected) {
            rows.add(
                    expected.startsWith("! ")
                            ? new Row(value, null, expected.substring(2))
                            : new Row(value, unquote(expected), null));
            return this;
        }

        private static String unquote(String text) {
            if (text.equals("NULL")) {
                return null;
            }
            if (text.length() >= 2 && text.startsWith("`") && text.endsWith("`")) {
                return text.substring(1, text.length() - 1);
            }
            return text;
        }

        @Override
        public String toString() {
            return name + " to " + type + " " + options + " from " + oldType;
        }
    }

    /** A value and either the converter's output or its failure reason. */
    private static final class Row {
        final String value;
        final String output;
        final String reason;

        Row(String value, String output, String reason) {
            this.value = value;
            this.output = output;
            this.reason = reason;
        }

        @Override
        public String toString() {
            String shown =
                    value == null
                            ? "NULL"
                            : value.length() > 60
                                    ? "'" + value.substring(0, 40) + "...' (" + value.length() + ")"
                                    : "'" + value + "'";
            return shown + (reason == null ? " converts" : " " + reason);
        }
    }
}
