package dev.backfill.op.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.ZoneId;
import java.util.List;

import static dev.backfill.op.convert.ConverterAssertions.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests for the text of {@link Converter#sqlUsing}, the converters' SQL counterparts, and for the
 * configurations that have none. That the expressions compute what the converters compute is
 * checked against PostgreSQL by {@code ConverterSqlITCase}.
 */
class ConverterSqlUsingTest {

    private static final String C = "\"c\"";

    private static String sql(String name, String type, String... options) {
        return Converters.create(name, type, options(options)).sqlUsing(C);
    }

    /** The SQL of converter {@code timestamptz} to {@code timestamp with time zone}. */
    private static String timestamptz(String... options) {
        return sql("timestamptz", "timestamptz", options);
    }

    @ParameterizedTest(name = "{0} to {1}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
                    integer | smallint       | NULL             | CAST(CAST("c" AS text) AS smallint)
                    integer | int4           | NULL             | CAST(CAST("c" AS text) AS integer)
                    integer | BIGINT         | NULL             | CAST(CAST("c" AS text) AS bigint)
                    numeric | numeric(12,2)  | NULL             | CAST(CAST("c" AS text) AS numeric(12,2))
                    numeric | decimal(12, 2) | rounding=half-up | CAST(CAST("c" AS text) AS numeric(12,2))
                    numeric | numeric(7)     | rounding=none    | CAST(CAST("c" AS text) AS numeric(7,0))
                    numeric | numeric(3,-2)  | rounding=half-up | CAST(CAST("c" AS text) AS numeric(3,-2))
                    numeric | numeric        | NULL             | CAST(CAST("c" AS text) AS numeric)
                    jsonb   | jsonb          | NULL             | CAST(CAST("c" AS text) AS jsonb)
                    """)
    void castsTheTextForm(String name, String type, String option, String expected) {
        assertThat(sql(name, type, option)).isEqualTo(expected);
    }

    @Test
    void usesTheQuotedColumnAsIs() {
        Converter integer = Converters.create("integer", "bigint", null);
        assertThat(integer.sqlUsing("\"Order\"\"s\".\"Amount\""))
                .isEqualTo("CAST(CAST(\"Order\"\"s\".\"Amount\" AS text) AS bigint)");
        assertThat(
                        Converters.create("timestamptz", "timestamptz", options("zone=UTC"))
                                .sqlUsing("\"Created At\""))
                .isEqualTo(
                        "CAST(CAST(\"Created At\" AS timestamp) AT TIME ZONE INTERVAL '+00:00' AS"
                                + " timestamp with time zone)");
    }

    @ParameterizedTest(name = "''{0}''")
    @ValueSource(strings = {"", " "})
    void needsAColumn(String column) {
        for (Converter converter :
                List.of(
                        Converters.create("integer", "integer", null),
                        Converters.create("numeric", "numeric", null),
                        Converters.create("jsonb", "jsonb", null),
                        Converters.create(
                                "timestamptz", "timestamptz", options("format=yyyy-MM-dd")))) {
            assertThatThrownBy(() -> converter.sqlUsing(column))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("the SQL counterpart needs the quoted column");
        }
        assertThatThrownBy(() -> Converters.create("integer", "integer", null).sqlUsing(null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the SQL counterpart needs the quoted column");
    }

    // ---------------------------------------------------------------- timestamptz from timestamp

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            nullValues = "NULL",
            textBlock =
                    """
                    zone=Europe/Berlin | NULL          | 'Europe/Berlin'
                    zone=Europe/Berlin | overlap=later | 'Europe/Berlin'
                    zone=Europe/Berlin | gap=shift     | 'Europe/Berlin'
                    zone=Asia/Kolkata  | gap=fail      | 'Asia/Kolkata'
                    zone=Japan         | NULL          | 'Asia/Tokyo'
                    zone=UTC           | NULL          | INTERVAL '+00:00'
                    zone=Z             | NULL          | INTERVAL '+00:00'
                    zone=GMT           | overlap=earlier | INTERVAL '+00:00'
                    zone=+05:30        | NULL          | INTERVAL '+05:30'
                    zone=-03:00        | NULL          | INTERVAL '-03:00'
                    zone=+05:30:15     | NULL          | INTERVAL '+05:30:15'
                    zone=UTC+01:00     | NULL          | INTERVAL '+01:00'
                    zone=Etc/GMT+5     | NULL          | INTERVAL '-05:00'
                    zone=-15:59        | NULL          | INTERVAL '-15:59'
                    """)
    void timestampModeReadsTheLocalTimeInTheZone(String zone, String option, String atZone) {
        assertThat(timestamptz(zone, option))
                .isEqualTo(
                        "CAST(CAST(\"c\" AS timestamp) AT TIME ZONE "
                                + atZone
                                + " AS timestamp with time zone)");
    }

    @Test
    void timestampModeCastsToThePrecision() {
        assertThat(sql("timestamptz", "timestamp(3) with time zone", "zone=Europe/Berlin"))
                .isEqualTo(
                        "CAST(CAST(\"c\" AS timestamp) AT TIME ZONE 'Europe/Berlin' AS"
                                + " timestamp(3) with time zone)");
        assertThat(sql("timestamptz", "timestamptz(0)", "zone=+01:00"))
                .isEqualTo(
                        "CAST(CAST(\"c\" AS timestamp) AT TIME ZONE INTERVAL '+01:00' AS"
                                + " timestamp(0) with time zone)");
    }

    @Test
    void overlapEarlierMovesPostgresqlsLaterInstantBackByTheOverlap() {
        assertThat(timestamptz("zone=Europe/Berlin", "overlap=earlier"))
                .isEqualTo(
                        "CAST((SELECT CASE WHEN _backfill_l >= TIMESTAMP '1915-01-01 00:00:00'"
                                + " THEN CASE WHEN (_backfill_a - INTERVAL '3600 seconds') AT"
                                + " TIME ZONE 'Europe/Berlin' = _backfill_l THEN _backfill_a -"
                                + " INTERVAL '3600 seconds' ELSE _backfill_a END ELSE _backfill_a"
                                + " END FROM (SELECT _backfill_l, _backfill_l AT TIME ZONE"
                                + " 'Europe/Berlin' AS _backfill_a FROM (SELECT CAST(\"c\" AS"
                                + " timestamp) AS _backfill_l) AS _backfill_s) AS _backfill_t) AS"
                                + " timestamp with time zone)");
    }

    @Test
    void overlapEarlierTriesEveryOverlapLengthOfTheZoneLargestFirst() {
        // Lord Howe Island: 30 minutes of summer time since 1985, an hour before, and the end of
        // its local mean time in 1895 (+10:36:20 to +10:00)
        String sql = timestamptz("zone=Australia/Lord_Howe", "overlap=earlier");
        assertThat(sql)
                .startsWith(
                        "CAST((SELECT CASE WHEN _backfill_l >= TIMESTAMP '1894-01-01 00:00:00'"
                                + " THEN CASE WHEN (_backfill_a - INTERVAL '3600 seconds') AT"
                                + " TIME ZONE 'Australia/Lord_Howe' = _backfill_l THEN"
                                + " _backfill_a - INTERVAL '3600 seconds' WHEN (_backfill_a -"
                                + " INTERVAL '2180 seconds') AT TIME ZONE 'Australia/Lord_Howe' ="
                                + " _backfill_l THEN _backfill_a - INTERVAL '2180 seconds' WHEN"
                                + " (_backfill_a - INTERVAL '1800 seconds') AT TIME ZONE"
                                + " 'Australia/Lord_Howe' = _backfill_l THEN _backfill_a -"
                                + " INTERVAL '1800 seconds' ELSE _backfill_a END ELSE");
    }

    @Test
    void overlapEarlierOfAZoneWithoutOverlapsIsPostgresqlsReading() {
        // Africa/Abidjan: from its local mean time (-00:16:08) to GMT in 1912, never turned back
        assertThat(timestamptz("zone=Africa/Abidjan", "overlap=earlier"))
                .isEqualTo(timestamptz("zone=Africa/Abidjan"))
                .isEqualTo(
                        "CAST(CAST(\"c\" AS timestamp) AT TIME ZONE 'Africa/Abidjan' AS"
                                + " timestamp with time zone)");
    }

    @Test
    void overlapDefaultsToLaterWhichIsPostgresqlsReading() {
        assertThat(timestamptz("zone=America/New_York"))
                .isEqualTo(timestamptz("zone=America/New_York", "overlap=later"))
                .isNotEqualTo(timestamptz("zone=America/New_York", "overlap=earlier"));
    }

    @Test
    void aZoneIdWithoutSlashBecomesARegionWithTheSameRules() {
        assertThat(
                        TimestamptzConverter.regionName(
                                ZoneId.of("Japan"), List.of("Asia/Seoul", "Japan", "Asia/Tokyo")))
                .isEqualTo("Asia/Tokyo");
        assertThat(TimestamptzConverter.regionName(ZoneId.of("Europe/Berlin"), List.of()))
                .isEqualTo("Europe/Berlin");
    }

    @Test
    void refusesAZoneIdWithoutSlashAndWithoutAnEquivalentRegion() {
        assertThatThrownBy(
                        () ->
                                TimestamptzConverter.regionName(
                                        ZoneId.of("Japan"), List.of("Japan", "Asia/Seoul")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "option 'zone' of converter 'timestamptz' has no SQL counterpart for the"
                                + " write-only trigger: 'Japan': PostgreSQL may read the name as"
                                + " a time zone abbreviation, and no region with a '/' has the"
                                + " same rules");
    }

    // ---------------------------------------------------------------- timestamptz from text

    private static final String INFINITY =
            "CAST(CASE WHEN translate(CAST(\"c\" AS text), 'INFTY', 'infty') IN ('infinity',"
                    + " '-infinity') THEN CAST(CAST(\"c\" AS text) AS timestamp with time zone)"
                    + " ELSE ";

    @Test
    void formatWithAnOffsetGivesTheInstant() {
        assertThat(timestamptz("format=yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "zone=Europe/Berlin"))
                .isEqualTo(
                        INFINITY
                                + "to_timestamp(regexp_replace(CAST(\"c\" AS text), 'Z$',"
                                + " '+00:00'), 'YYYY\"-\"MM\"-\"DD\"T\"HH24\":\"MI\":\"SS\".\"FF3"
                                + "\"\"TZH\":\"TZM') END AS timestamp with time zone)");
    }

    @Test
    void formatWithoutAnOffsetInAFixedZoneAppendsTheOffset() {
        assertThat(timestamptz("format=dd.MM.yyyy HH:mm"))
                .isEqualTo(
                        INFINITY
                                + "to_timestamp(CAST(\"c\" AS text) || ' +00:00', 'DD\".\"MM\".\""
                                + "YYYY\" \"HH24\":\"MI TZH:TZM') END AS timestamp with time"
                                + " zone)");
        assertThat(timestamptz("format=dd.MM.yyyy", "zone=-09:30"))
                .isEqualTo(
                        INFINITY
                                + "to_timestamp(CAST(\"c\" AS text) || ' -09:30', 'DD\".\"MM\".\""
                                + "YYYY TZH:TZM') END AS timestamp with time zone)");
    }

    @Test
    void formatWithoutAnOffsetInAFixedZoneWithSecondsResolvesTheLocalTime() {
        assertThat(timestamptz("format=yyyy-MM-dd", "zone=+05:30:15"))
                .isEqualTo(
                        INFINITY
                                + "(to_timestamp(CAST(\"c\" AS text) || ' +00:00',"
                                + " 'YYYY\"-\"MM\"-\"DD TZH:TZM') AT TIME ZONE INTERVAL '+00:00')"
                                + " AT TIME ZONE INTERVAL '+05:30:15' END AS timestamp with time"
                                + " zone)");
    }

    @Test
    void formatWithoutAnOffsetInARegionResolvesTheLocalTimeThere() {
        assertThat(
                        sql(
                                "timestamptz",
                                "timestamptz(3)",
                                "format=yyyyMMddHHmmss.SSS",
                                "zone=America/New_York"))
                .isEqualTo(
                        "CAST(CASE WHEN translate(CAST(\"c\" AS text), 'INFTY', 'infty') IN"
                                + " ('infinity', '-infinity') THEN CAST(CAST(\"c\" AS text) AS"
                                + " timestamp with time zone) ELSE (to_timestamp(regexp_replace("
                                + "CAST(\"c\" AS text), '^([+]?[0-9]+)([0-9]{10})', E'\\\\1"
                                + " \\\\2') || ' +00:00', 'YYYY MM\"\"DD\"\"HH24\"\"MI\"\"SS\".\""
                                + "FF3 TZH:TZM') AT TIME ZONE INTERVAL '+00:00') AT TIME ZONE"
                                + " 'America/New_York' END AS timestamp(3) with time zone)");
    }

    @Test
    void formatWithOverlapEarlierResolvesTheLocalTimeAsTimestampModeDoes() {
        assertThat(timestamptz("format=yyyy-MM-dd HH:mm", "zone=Europe/Berlin", "overlap=earlier"))
                .isEqualTo(
                        INFINITY
                                + "(SELECT CASE WHEN _backfill_l >= TIMESTAMP '1915-01-01"
                                + " 00:00:00' THEN CASE WHEN (_backfill_a - INTERVAL '3600"
                                + " seconds') AT TIME ZONE 'Europe/Berlin' = _backfill_l THEN"
                                + " _backfill_a - INTERVAL '3600 seconds' ELSE _backfill_a END"
                                + " ELSE _backfill_a END FROM (SELECT _backfill_l, _backfill_l AT"
                                + " TIME ZONE 'Europe/Berlin' AS _backfill_a FROM (SELECT"
                                + " (to_timestamp(CAST(\"c\" AS text) || ' +00:00',"
                                + " 'YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI TZH:TZM') AT TIME ZONE"
                                + " INTERVAL '+00:00') AS _backfill_l) AS _backfill_s) AS"
                                + " _backfill_t) END AS timestamp with time zone)");
    }

    @Test
    void literalsWithBackslashesAreEscapedStringsWhateverStandardConformingStrings() {
        assertThat(timestamptz("format=yyyy\\MM\\dd"))
                .isEqualTo(
                        INFINITY
                                + "to_timestamp(CAST(\"c\" AS text) || ' +00:00',"
                                + " E'YYYY\"\\\\\\\\\"MM\"\\\\\\\\\"DD TZH:TZM') END AS timestamp"
                                + " with time zone)");
        assertThat(timestamptz("format=dd''MM''yyyy"))
                .isEqualTo(
                        INFINITY
                                + "to_timestamp(CAST(\"c\" AS text) || ' +00:00',"
                                + " 'DD\"''\"MM\"''\"YYYY TZH:TZM') END AS timestamp with time"
                                + " zone)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            textBlock =
                    """
                    yyyy-MM-dd HH:mm VV          | pattern letter 'V' is not supported (supported: yyyy, uuuu, M, MM, MMM, MMMM, d, dd, E, EEE, EEEE, H, HH, h or hh with a, m, mm, s, ss, S to SSSSSSSSS, XX, XXX, xx, xxx, and literal text)
                    yyyy-MM-dd HH:mm:ss[.SSSSSS] | optional sections and the characters [ ] { } # are not supported
                    yyyy-MM-dd HH:mmX            | pattern 'X' is not supported (supported: yyyy, uuuu, M, MM, MMM, MMMM, d, dd, E, EEE, EEEE, H, HH, h or hh with a, m, mm, s, ss, S to SSSSSSSSS, XX, XXX, xx, xxx, and literal text)
                    dd.MM.yy                     | pattern 'yy' is not supported (supported: yyyy, uuuu, M, MM, MMM, MMMM, d, dd, E, EEE, EEEE, H, HH, h or hh with a, m, mm, s, ss, S to SSSSSSSSS, XX, XXX, xx, xxx, and literal text)
                    yyyy-MM-dd Hmm               | pattern 'H' is directly followed by the number 'mm'; use 'HH'
                    yyyy-M-dHHmm                 | pattern 'd' is directly followed by the number 'HH'; use 'dd'
                    EEEE yyyyMMdd                | pattern 'yyyy' needs fixed-width fields before it, but 'EEEE' varies in width
                    """)
    void refusesAFormatWithoutAnExactTranslation(String format, String reason) {
        Converter converter =
                Converters.create("timestamptz", "timestamptz", options("format=" + format));
        assertThatThrownBy(() -> converter.sqlUsing(C))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "option 'format' of converter 'timestamptz' has no SQL counterpart for"
                                + " the write-only trigger: '"
                                + format
                                + "': "
                                + reason);
    }

    // ---------------------------------------------------------------- SQL strings

    @Test
    void sqlStringsReadTheSameWhateverStandardConformingStrings() {
        assertThat(Converters.sqlString("a'b")).isEqualTo("'a''b'");
        assertThat(Converters.sqlString("")).isEqualTo("''");
        assertThat(Converters.sqlString("\\1 '\\2'")).isEqualTo("E'\\\\1 ''\\\\2'''");
        assertThatThrownBy(() -> Converters.sqlString("a\0b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("an SQL string cannot contain a NUL character");
    }
}
