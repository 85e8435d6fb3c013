package dev.backfill.op.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Tests for {@link ToTimestampFormat}: the translation of a {@code java.time} pattern into a {@code
 * to_timestamp} format plus the value rewrites, and the patterns it refuses. That the translations
 * read what the Java converter reads is checked against PostgreSQL by {@code ConverterSqlITCase}.
 */
class ToTimestampFormatTest {

    private static final String TEXT = "CAST(\"c\" AS text)";

    private static final String SUPPORTED =
            " (supported: yyyy, uuuu, M, MM, MMM, MMMM, d, dd, E, EEE, EEEE, H, HH, h or hh with a,"
                    + " m, mm, s, ss, S to SSSSSSSSS, XX, XXX, xx, xxx, and literal text)";

    /** Pattern, {@code to_timestamp} format, whether it has an offset, and the rewritten input. */
    static Stream<Arguments> translations() {
        return Stream.of(
                arguments(
                        "yyyy-MM-dd HH:mm:ss",
                        "YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\":\"SS",
                        false,
                        TEXT),
                arguments(
                        "uuuu-M-d H:m:s", "YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\":\"SS", false, TEXT),
                // adjacent fields are kept apart by "", a year before digits gets a space
                arguments(
                        "yyyyMMddHHmmss",
                        "YYYY MM\"\"DD\"\"HH24\"\"MI\"\"SS",
                        false,
                        "regexp_replace(" + TEXT + ", '^([+]?[0-9]+)([0-9]{10})', E'\\\\1 \\\\2')"),
                arguments(
                        "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
                        "YYYY\"-\"MM\"-\"DD\"T\"HH24\":\"MI\":\"SS\".\"FF3\"\"TZH\":\"TZM",
                        true,
                        "regexp_replace(" + TEXT + ", 'Z$', '+00:00')"),
                // both rewrites: the Z first, then the year (its prefix counted in characters)
                arguments(
                        "ddMMyyyyHHmmXX",
                        "DD\"\"MM\"\"YYYY HH24\"\"MI\"\"TZHTZM",
                        true,
                        "regexp_replace(regexp_replace("
                                + TEXT
                                + ", 'Z$', '+0000'), '^(.{4}[+]?[0-9]+)([0-9]{4})',"
                                + " E'\\\\1 \\\\2')"),
                // the Z rewrite counts the fixed-width fields after the offset
                arguments(
                        "yyyy-MM-dd HH:mmXXX'/'ss",
                        "YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\"\"TZH\":\"TZM\"/\"SS",
                        true,
                        null),
                arguments(
                        "'日'ddyyyyMM",
                        "\"日\"DD\"\"YYYY MM",
                        false,
                        "regexp_replace("
                                + TEXT
                                + ", '^(.{3}[+]?[0-9]+)([0-9]{2})', E'\\\\1 \\\\2')"),
                arguments("d MMM uuuu H:mm", "DD\" \"Mon\" \"YYYY\" \"HH24\":\"MI", false, TEXT),
                arguments("EEEE, d MMMM yyyy", "Day\", \"DD\" \"Month\" \"YYYY", false, TEXT),
                arguments(
                        "EEE dd.MM.yyyy hh:mm a",
                        "Dy\" \"DD\".\"MM\".\"YYYY\" \"HH12\":\"MI\" \"AM",
                        false,
                        TEXT),
                arguments(
                        "E, dd MMM yyyy HH:mm:ss xx",
                        "Dy\", \"DD\" \"Mon\" \"YYYY\" \"HH24\":\"MI\":\"SS\" \"TZHTZM",
                        true,
                        TEXT),
                arguments(
                        "yyyy-MM-dd HH:mmxxx",
                        "YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\"\"TZH\":\"TZM",
                        true,
                        TEXT),
                arguments(
                        "yyyy-MM-dd HH:mm:ss.S",
                        "YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\":\"SS\".\"FF1",
                        false,
                        TEXT),
                arguments(
                        "yyyy-MM-dd HH:mm:ss.SSSSSS",
                        "YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\":\"SS\".\"FF6",
                        false,
                        TEXT),
                // digits 7 to 9 are zeros in every value the converter accepts: skipped
                arguments(
                        "yyyy-MM-dd HH:mm:ss.SSSSSSS",
                        "YYYY\"-\"MM\"-\"DD\" \"HH24\":\"MI\":\"SS\".\"FF6\"0\"",
                        false,
                        TEXT),
                arguments(
                        "MM/dd/yyyy HH:mm:ss.SSSSSSSSS",
                        "MM\"/\"DD\"/\"YYYY\" \"HH24\":\"MI\":\"SS\".\"FF6\"000\"",
                        false,
                        TEXT),
                // literals: a backslash and a double quote escaped, quotes as Java reads them
                arguments(
                        "yyyy\\MM\"dd''HH 'o''clock'",
                        "YYYY\"\\\\\"MM\"\\\"\"DD\"'\"HH24\" o'clock\"",
                        false,
                        TEXT),
                arguments("yyyy年MM月dd日", "YYYY\"年\"MM\"月\"DD\"日\"", false, TEXT),
                arguments("dd MMM yyyy", "DD\" \"Mon\" \"YYYY", false, TEXT));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("translations")
    void translates(String pattern, String format, boolean hasOffset, String input) {
        ToTimestampFormat translated = ToTimestampFormat.translate(pattern);
        assertThat(translated.format()).isEqualTo(format);
        assertThat(translated.hasOffset()).isEqualTo(hasOffset);
        if (input != null) {
            assertThat(translated.input(TEXT)).isEqualTo(input);
        }
    }

    @Test
    void zuluRewriteKeepsTheFieldsAfterTheOffset() {
        assertThat(ToTimestampFormat.translate("yyyy-MM-dd HH:mmXXX'/'ss").input(TEXT))
                .isEqualTo("regexp_replace(" + TEXT + ", 'Z(.{3})$', E'+00:00\\\\1')");
        assertThat(ToTimestampFormat.translate("yyyy-MM-dd HH:mmXX EEE").input(TEXT))
                .isEqualTo("regexp_replace(" + TEXT + ", 'Z(.{4})$', E'+0000\\\\1')");
        assertThat(ToTimestampFormat.translate("yyyy-MM-dd HH:mmxx").input(TEXT))
                .as("xx writes +0000, never Z")
                .isEqualTo(TEXT);
    }

    /** Pattern and the exact reason it is refused. */
    static Stream<Arguments> refusals() {
        return Stream.of(
                arguments("yyyy-MM-dd VV", "pattern letter 'V' is not supported" + SUPPORTED),
                arguments("G yyyy-MM-dd", "pattern letter 'G' is not supported" + SUPPORTED),
                arguments("yyyy-MM-dd z", "pattern letter 'z' is not supported" + SUPPORTED),
                arguments("yyyy-DDD", "pattern letter 'D' is not supported" + SUPPORTED),
                arguments("yyyy-MM-dd kk:mm", "pattern letter 'k' is not supported" + SUPPORTED),
                arguments("yy-MM-dd", "pattern 'yy' is not supported" + SUPPORTED),
                arguments("yyyyy-MM-dd", "pattern 'yyyyy' is not supported" + SUPPORTED),
                arguments("MMMMM yyyy", "pattern 'MMMMM' is not supported" + SUPPORTED),
                arguments("ddd.MM.yyyy", "pattern 'ddd' is not supported" + SUPPORTED),
                arguments("EEEEE yyyy-MM-dd", "pattern 'EEEEE' is not supported" + SUPPORTED),
                arguments("yyyy-MM-dd HH:mmX", "pattern 'X' is not supported" + SUPPORTED),
                arguments("yyyy-MM-dd HH:mmXXXX", "pattern 'XXXX' is not supported" + SUPPORTED),
                arguments("yyyy-MM-dd HH:mmx", "pattern 'x' is not supported" + SUPPORTED),
                arguments("yyyy-MM-dd aa hh", "pattern 'aa' is not supported" + SUPPORTED),
                arguments(
                        "yyyy-MM-dd[ HH:mm]",
                        "optional sections and the characters [ ] { } # are not supported"),
                arguments(
                        "yyyy-MM-dd#",
                        "optional sections and the characters [ ] { } # are not supported"),
                arguments(
                        "yyyy-MM-dd HH:mm a",
                        "pattern 'a' is only supported with 'h' or 'hh' (not 'H' or 'HH')"),
                arguments(
                        "yyyy-MM-dd a",
                        "pattern 'a' is only supported with 'h' or 'hh' (not 'H' or 'HH')"),
                arguments("yyyy-MM-dd uuuu", "pattern 'uuuu' sets the year that 'yyyy' sets"),
                arguments("MM-dd-yyyy MMM", "pattern 'MMM' sets the month that 'MM' sets"),
                arguments("yyyy-MM-dd HH:mmxx XXX", "pattern 'XXX' sets the offset that 'xx' sets"),
                arguments(
                        "yyyy-M-dHH",
                        "pattern 'd' is directly followed by the number 'HH'; use 'dd'"),
                arguments(
                        "yyyyMdd", "pattern 'M' is directly followed by the number 'dd'; use 'MM'"),
                arguments(
                        "yyyy-MM-dd H:m:sSSS",
                        "pattern 's' is directly followed by the number 'SSS'; use 'ss'"),
                arguments(
                        "dd.MM.yyyyH",
                        "pattern 'yyyy' is directly followed by the variable-width number 'H'"),
                arguments(
                        "EEEE yyyyMMdd",
                        "pattern 'yyyy' needs fixed-width fields before it, but 'EEEE' varies in"
                                + " width"),
                arguments(
                        "H:mm yyyyMMdd",
                        "pattern 'yyyy' needs fixed-width fields before it, but 'H' varies in"
                                + " width"),
                arguments(
                        "HH:mmXXX d.M.yyyy",
                        "pattern 'XXX' needs fixed-width fields after it, but 'd' varies in width"),
                arguments(
                        "HH:mmXX dd.MM.yyyy",
                        "pattern 'XX' needs fixed-width fields after it, but 'yyyy' varies in"
                                + " width"),
                arguments(
                        "'" + "x".repeat(300) + "'yyyyMMdd",
                        "the pattern around 'yyyy' is longer than 255 characters"),
                arguments(
                        "yyyy-MM-dd HH:mmXXX'" + "x".repeat(300) + "'",
                        "the pattern around 'XXX' is longer than 255 characters"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refusals")
    void refuses(String pattern, String reason) {
        assertThatThrownBy(() -> ToTimestampFormat.translate(pattern))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(reason);
    }

    @Test
    void theSupportedListIsTheOneTheMessagesName() {
        assertThat(" (supported: " + ToTimestampFormat.SUPPORTED + ")").isEqualTo(SUPPORTED);
    }
}
