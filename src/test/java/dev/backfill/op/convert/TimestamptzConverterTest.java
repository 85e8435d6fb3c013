package dev.backfill.op.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;

import static dev.backfill.op.convert.ConverterAssertions.assertConverts;
import static dev.backfill.op.convert.ConverterAssertions.assertFails;
import static dev.backfill.op.convert.ConverterAssertions.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tests for converter {@code timestamptz}: timestamp to timestamptz with a zone, text to
 * timestamptz with a format, and the daylight-saving gaps and overlaps of Europe/Berlin (2024-03-31
 * 02:00-03:00 missing, 2024-10-27 02:00-03:00 twice) and America/New_York (2024-03-10 02:00-03:00
 * missing, 2024-11-03 01:00-02:00 twice).
 */
class TimestamptzConverterTest {

    private static final String TYPE = "timestamp with time zone";

    private static Converter fromTimestamp(String zone, String... moreOptions) {
        Map<String, String> options = options(moreOptions);
        options.put("zone", zone);
        return Converters.create("timestamptz", TYPE, options);
    }

    private static Converter fromText(String format, String zone) {
        return Converters.create(
                "timestamptz",
                TYPE,
                options("format=" + format, zone == null ? null : "zone=" + zone));
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
                    UTC              | 2024-01-02 03:04:05.123456   | 2024-01-02 03:04:05.123456+00:00
                    UTC              | 2024-01-02 03:04:05          | 2024-01-02 03:04:05.000000+00:00
                    UTC              | 2024-01-02 03:04:05.5        | 2024-01-02 03:04:05.500000+00:00
                    UTC              | 2024-01-02 03:04:05.000001   | 2024-01-02 03:04:05.000001+00:00
                    Europe/Berlin    | 2024-01-02 03:04:05.123456   | 2024-01-02 03:04:05.123456+01:00
                    Europe/Berlin    | 2024-07-01 12:00:00          | 2024-07-01 12:00:00.000000+02:00
                    America/New_York | 2024-01-02 03:04:05          | 2024-01-02 03:04:05.000000-05:00
                    America/New_York | 2024-07-01 12:00:00          | 2024-07-01 12:00:00.000000-04:00
                    Asia/Kolkata     | 2024-01-02 00:00:00          | 2024-01-02 00:00:00.000000+05:30
                    +02:00           | 2024-01-02 00:00:00          | 2024-01-02 00:00:00.000000+02:00
                    Europe/Berlin    | 2024-03-31 01:59:59.999999   | 2024-03-31 01:59:59.999999+01:00
                    Europe/Berlin    | 2024-03-31 03:00:00          | 2024-03-31 03:00:00.000000+02:00
                    Europe/Berlin    | 2024-10-27 01:59:59          | 2024-10-27 01:59:59.000000+02:00
                    Europe/Berlin    | 2024-10-27 01:59:59.999999   | 2024-10-27 01:59:59.999999+02:00
                    Europe/Berlin    | 2024-10-27 02:00:00          | 2024-10-27 02:00:00.000000+01:00
                    Europe/Berlin    | 2024-10-27 02:30:00          | 2024-10-27 02:30:00.000000+01:00
                    Europe/Berlin    | 2024-10-27 02:59:59.999999   | 2024-10-27 02:59:59.999999+01:00
                    Europe/Berlin    | 2024-10-27 03:00:00          | 2024-10-27 03:00:00.000000+01:00
                    America/New_York | 2024-03-10 01:59:59          | 2024-03-10 01:59:59.000000-05:00
                    America/New_York | 2024-03-10 03:00:00          | 2024-03-10 03:00:00.000000-04:00
                    America/New_York | 2024-11-03 00:59:59          | 2024-11-03 00:59:59.000000-04:00
                    America/New_York | 2024-11-03 01:30:00          | 2024-11-03 01:30:00.000000-05:00
                    America/New_York | 2024-11-03 02:00:00          | 2024-11-03 02:00:00.000000-05:00
                    Europe/Berlin    | 1800-01-01 00:00:00          | 1800-01-01 00:00:00.000000+00:53:28
                    UTC              | 0044-03-15 12:00:00 BC       | 0044-03-15 12:00:00.000000+00:00 BC
                    UTC              | 0001-12-31 23:59:59.999999 BC | 0001-12-31 23:59:59.999999+00:00 BC
                    UTC              | 0001-01-01 00:00:00          | 0001-01-01 00:00:00.000000+00:00
                    UTC              | 4714-11-24 00:00:00 BC       | 4714-11-24 00:00:00.000000+00:00 BC
                    UTC              | 10000-01-01 00:00:00         | 10000-01-01 00:00:00.000000+00:00
                    UTC              | 294276-12-31 23:59:59.999999 | 294276-12-31 23:59:59.999999+00:00
                    UTC              | infinity                     | infinity
                    UTC              | -infinity                    | -infinity
                    Europe/Berlin    | infinity                     | infinity
                    Europe/Berlin    | NULL                         | NULL
                    """)
    void convertsTimestamps(String zone, String value, String expected) {
        assertConverts(fromTimestamp(zone), value, expected);
    }

    @ParameterizedTest(name = "{0} {1}: {2} -> {3}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    Europe/Berlin    | gap=shift     | 2024-03-31 02:00:00 | 2024-03-31 03:00:00.000000+02:00
                    Europe/Berlin    | gap=shift     | 2024-03-31 02:30:00 | 2024-03-31 03:30:00.000000+02:00
                    America/New_York | gap=shift     | 2024-03-10 02:30:00 | 2024-03-10 03:30:00.000000-04:00
                    Europe/Berlin    | overlap=later | 2024-10-27 02:30:00 | 2024-10-27 02:30:00.000000+01:00
                    America/New_York | overlap=later | 2024-11-03 01:30:00 | 2024-11-03 01:30:00.000000-05:00
                    Europe/Berlin    | overlap=earlier | 2024-10-27 02:30:00 | 2024-10-27 02:30:00.000000+02:00
                    Europe/Berlin    | overlap=earlier | 2024-10-27 02:00:00 | 2024-10-27 02:00:00.000000+02:00
                    Europe/Berlin    | overlap=earlier | 2024-10-27 03:00:00 | 2024-10-27 03:00:00.000000+01:00
                    America/New_York | overlap=earlier | 2024-11-03 01:30:00 | 2024-11-03 01:30:00.000000-04:00
                    Europe/Berlin    | overlap=earlier,gap=shift | 2024-03-31 02:30:00 | 2024-03-31 03:30:00.000000+02:00
                    America/New_York | overlap=later | 2024-07-01 12:00:00 | 2024-07-01 12:00:00.000000-04:00
                    """)
    void gapAndOverlapOptions(String zone, String option, String value, String expected) {
        assertConverts(fromTimestamp(zone, option.split(",")), value, expected);
    }

    @ParameterizedTest(name = "{0}: ''{1}'' {2}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    Europe/Berlin    | 2024-03-31 02:00:00       | does not exist in zone Europe/Berlin
                    Europe/Berlin    | 2024-03-31 02:30:00       | does not exist in zone Europe/Berlin
                    Europe/Berlin    | 2024-03-31 02:59:59.999999 | does not exist in zone Europe/Berlin
                    America/New_York | 2024-03-10 02:30:00       | does not exist in zone America/New_York
                    UTC              | ''                        | is not a timestamp
                    UTC              | ' '                       | is not a timestamp
                    UTC              | 2024-01-02                | is not a timestamp
                    UTC              | 2024-01-02T03:04:05       | is not a timestamp
                    UTC              | ' 2024-01-02 03:04:05'    | is not a timestamp
                    UTC              | 2024-01-02 03:04:05+00    | is not a timestamp
                    UTC              | 2024-01-02 03:04:05.1234567 | is not a timestamp
                    UTC              | 2024-01-02 03:04:05.      | is not a timestamp
                    UTC              | 2024-1-2 03:04:05         | is not a timestamp
                    UTC              | 2024-02-30 00:00:00       | is not a timestamp
                    UTC              | 2023-02-29 00:00:00       | is not a timestamp
                    UTC              | 2024-01-02 24:00:00       | is not a timestamp
                    UTC              | 2024-01-02 23:60:00       | is not a timestamp
                    UTC              | 0000-01-01 00:00:00       | is not a timestamp
                    UTC              | Infinity!                 | is not a timestamp
                    UTC              | 4714-11-23 23:59:59.999999 BC | is out of range for type timestamp with time zone
                    UTC              | 294277-01-01 00:00:00     | is out of range for type timestamp with time zone
                    America/New_York | 294276-12-31 23:00:00     | is out of range for type timestamp with time zone
                    Europe/Berlin    | 294277-01-01 00:30:00     | is out of range for type timestamp with time zone
                    America/New_York | 4714-11-23 23:30:00 BC    | is out of range for type timestamp with time zone
                    """)
    void failsForTimestamps(String zone, String value, String reason) {
        assertFails(fromTimestamp(zone), value, reason);
    }

    @ParameterizedTest(name = "{0} in {1}: {2} -> {3}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            nullValues = "NULL",
            textBlock =
                    """
                    yyyy-MM-dd                      | NULL             | 2024-01-02                | 2024-01-02 00:00:00.000000+00:00
                    yyyy-MM-dd                      | Europe/Berlin    | 2024-07-01                | 2024-07-01 00:00:00.000000+02:00
                    uuuu-MM-dd                      | NULL             | 2024-02-29                | 2024-02-29 00:00:00.000000+00:00
                    yyyy-MM-dd HH:mm:ss             | Europe/Berlin    | 2024-01-02 03:04:05       | 2024-01-02 03:04:05.000000+01:00
                    yyyy-MM-dd HH:mm:ss             | America/New_York | 2024-11-03 01:30:00       | 2024-11-03 01:30:00.000000-05:00
                    dd.MM.yyyy HH:mm                | Europe/Berlin    | 02.01.2024 03:04          | 2024-01-02 03:04:00.000000+01:00
                    MM/dd/yyyy hh:mm a              | America/New_York | 01/02/2024 03:04 PM       | 2024-01-02 15:04:00.000000-05:00
                    dd MMM yyyy                     | UTC              | 02 Jan 2024               | 2024-01-02 00:00:00.000000+00:00
                    yyyyMMddHHmmss                  | UTC              | 20240102030405            | 2024-01-02 03:04:05.000000+00:00
                    yyyy-MM-dd HH:mm:ss.SSSSSS      | UTC              | 2024-01-02 03:04:05.123456 | 2024-01-02 03:04:05.123456+00:00
                    yyyy-MM-dd HH:mm:ss[.SSSSSS]    | UTC              | 2024-01-02 03:04:05       | 2024-01-02 03:04:05.000000+00:00
                    yyyy-MM-dd'T'HH:mm:ssXXX        | Europe/Berlin    | 2024-01-02T03:04:05+05:30 | 2024-01-02 03:04:05.000000+05:30
                    yyyy-MM-dd'T'HH:mm:ssXXX        | Europe/Berlin    | 2024-01-02T03:04:05Z      | 2024-01-02 03:04:05.000000+00:00
                    yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX | NULL             | 2024-01-02T03:04:05.123456-08:00 | 2024-01-02 03:04:05.123456-08:00
                    yyyy-MM-dd HH:mm VV             | UTC              | 2024-10-27 02:30 Europe/Berlin | 2024-10-27 02:30:00.000000+01:00
                    yyyy-MM-dd HH:mm VV             | UTC              | 2024-10-27 03:30 Europe/Berlin | 2024-10-27 03:30:00.000000+01:00
                    yyyy-MM-dd HH:mm:ssXXX          | Europe/Berlin    | +294277-01-01 00:00:00+01:00 | 294277-01-01 00:00:00.000000+01:00
                    yyyy-MM-dd                      | UTC              | infinity                  | infinity
                    yyyy-MM-dd                      | UTC              | -Infinity                 | -infinity
                    yyyy-MM-dd                      | UTC              | NULL                      | NULL
                    """)
    void convertsText(String format, String zone, String value, String expected) {
        assertConverts(fromText(format, zone), value, expected);
    }

    @ParameterizedTest(name = "{0} in {1}: ''{2}'' {3}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            nullValues = "NULL",
            textBlock =
                    """
                    yyyy-MM-dd                   | NULL          | ""                   | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd                   | NULL          | 2024-1-2             | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd                   | NULL          | 2023-02-29           | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd                   | NULL          | 2024-04-31           | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd                   | NULL          | "2024-01-02 "        | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd                   | NULL          | " 2024-01-02"        | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd                   | NULL          | 02.01.2024           | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd                   | NULL          | 2024-01-02 03:04:05  | does not match format 'yyyy-MM-dd'
                    yyyy-MM-dd HH:mm:ss          | NULL          | 2024-01-02 24:00:00  | does not match format 'yyyy-MM-dd HH:mm:ss'
                    dd MMM yyyy                  | NULL          | 02 Jan. 2024         | does not match format 'dd MMM yyyy'
                    yyyy-MM-dd'T'HH:mm:ssXXX     | NULL          | 2024-01-02T03:04:05  | does not match format 'yyyy-MM-dd'T'HH:mm:ssXXX'
                    yyyy-MM-dd HH:mm:ss          | Europe/Berlin | 2024-03-31 02:30:00  | does not exist in zone Europe/Berlin
                    yyyy-MM-dd HH:mm VV          | UTC           | 2024-03-10 02:30 America/New_York | does not exist in zone America/New_York
                    yyyy-MM-dd HH:mm:ss.SSSSSSSSS | UTC         | 2024-01-02 03:04:05.123456789 | has more than 6 fractional digits of seconds for type timestamp with time zone
                    yyyy-MM-dd HH:mm:ss          | Europe/Berlin | +294277-01-01 00:00:00 | is out of range for type timestamp with time zone
                    """)
    void failsForText(String format, String zone, String value, String reason) {
        assertFails(fromText(format, zone), value, reason);
    }

    @Test
    void precisionOfTheTargetType() {
        Converter converter =
                Converters.create(
                        "timestamptz", "timestamp(3) with time zone", options("zone=UTC"));
        assertThat(converter.targetType()).isEqualTo("timestamp(3) with time zone");
        assertConverts(converter, "2024-01-02 03:04:05.123", "2024-01-02 03:04:05.123000+00:00");
        assertFails(
                converter,
                "2024-01-02 03:04:05.1234",
                "has more than 3 fractional digits of seconds for type timestamp(3) with time zone");
        Converter seconds = Converters.create("timestamptz", "timestamptz(0)", options("zone=UTC"));
        assertThat(seconds.targetType()).isEqualTo("timestamp(0) with time zone");
        assertFails(
                seconds,
                "2024-01-02 03:04:05.5",
                "has more than 0 fractional digits of seconds for type timestamp(0) with time zone");
        assertFails(
                Converters.create("timestamptz", "timestamptz(1)", options("zone=UTC")),
                "2024-01-02 03:04:05.25",
                "has more than 1 fractional digit of seconds for type timestamp(1) with time zone");
    }

    /** The output names the same instant as the input, whatever zone it was resolved in. */
    @Test
    void outputIsTheInstant() {
        String out = fromTimestamp("Europe/Berlin").convert("2024-10-27 02:30:00.25");
        Instant instant =
                OffsetDateTime.parse(
                                out, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSSxxx"))
                        .toInstant();
        assertThat(instant).isEqualTo(Instant.parse("2024-10-27T01:30:00.25Z"));
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    timestamp with time zone    | timestamp with time zone
                    TIMESTAMP  WITH TIME ZONE   | timestamp with time zone
                    timestamptz                 | timestamp with time zone
                    timestamp(6) with time zone | timestamp(6) with time zone
                    timestamptz(3)              | timestamp(3) with time zone
                    """)
    void targetTypes(String type, String canonical) {
        Converter converter = Converters.create("timestamptz", type, options("zone=UTC"));
        assertThat(converter.name()).isEqualTo("timestamptz");
        assertThat(converter.targetType()).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            nullValues = "NULL",
            textBlock =
                    """
                    timestamp with time zone    | NULL          | NULL      | converter 'timestamptz' needs option 'zone' (the time zone of timestamp values) or option 'format' (the pattern of text values)
                    timestamp without time zone | zone=UTC      | NULL      | converter 'timestamptz' cannot convert to type 'timestamp without time zone' (supported: timestamp with time zone, timestamp(p) with time zone)
                    timestamptz(7)              | zone=UTC      | NULL      | converter 'timestamptz' cannot convert to type 'timestamptz(7)' (supported: timestamp with time zone, timestamp(p) with time zone)
                    timestamptz                 | zone=Mars/Olympus | NULL  | option 'zone' of converter 'timestamptz' is not a known time zone: 'Mars/Olympus'
                    timestamptz                 | zone=UTC      | gap=skip  | option 'gap' of converter 'timestamptz' is 'skip' but must be 'fail' (the default) or 'shift'
                    timestamptz                 | zone=UTC      | overlap=first | option 'overlap' of converter 'timestamptz' is 'first' but must be 'later' (the default) or 'earlier'
                    timestamptz                 | format=HH:mm  | NULL      | option 'format' of converter 'timestamptz' has no complete date: 'HH:mm'
                    timestamptz                 | format=yyyy-MM | NULL     | option 'format' of converter 'timestamptz' has no complete date: 'yyyy-MM'
                    timestamptz                 | format=yyyy-MM-dd hh:mm | NULL | option 'format' of converter 'timestamptz' has no complete time of day (use HH, or hh with a): 'yyyy-MM-dd hh:mm'
                    """)
    void rejectsBadSpecs(String type, String option1, String option2, String message) {
        assertThatThrownBy(() -> Converters.create("timestamptz", type, options(option1, option2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsAnInvalidPattern() {
        assertThatThrownBy(
                        () ->
                                Converters.create(
                                        "timestamptz", TYPE, options("format=yyyy-MM-dd bb")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(
                        "option 'format' of converter 'timestamptz' is not a valid pattern:"
                                + " 'yyyy-MM-dd bb': ");
    }
}
