package dev.backfill.op.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static dev.backfill.op.convert.ConverterAssertions.assertConverts;
import static dev.backfill.op.convert.ConverterAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

/** Tests for converter {@code integer}: widening, narrowing and text to integer. */
class IntegerConverterTest {

    private static Converter integer(String type) {
        return Converters.create("integer", type, Map.of());
    }

    @ParameterizedTest(name = "{0}: {1} -> {2}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
                    smallint | -32768               | -32768
                    smallint | 32767                | 32767
                    smallint | +32767               | 32767
                    smallint | 0                    | 0
                    smallint | -0                   | 0
                    smallint | 007                  | 7
                    smallint | NULL                 | NULL
                    integer  | -2147483648          | -2147483648
                    integer  | 2147483647           | 2147483647
                    integer  | +1                   | 1
                    integer  | 32768                | 32768
                    integer  | NULL                 | NULL
                    bigint   | -9223372036854775808 | -9223372036854775808
                    bigint   | 9223372036854775807  | 9223372036854775807
                    bigint   | +9223372036854775807 | 9223372036854775807
                    bigint   | 2147483648           | 2147483648
                    bigint   | 000000000000000000000000001 | 1
                    bigint   | NULL                 | NULL
                    """)
    void converts(String type, String value, String expected) {
        assertConverts(integer(type), value, expected);
    }

    @ParameterizedTest(name = "{0}: ''{1}'' {2}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    smallint | -32769               | is out of range for type smallint
                    smallint | 32768                | is out of range for type smallint
                    smallint | 2147483648           | is out of range for type smallint
                    integer  | -2147483649          | is out of range for type integer
                    integer  | 2147483648           | is out of range for type integer
                    integer  | +2147483648          | is out of range for type integer
                    bigint   | -9223372036854775809 | is out of range for type bigint
                    bigint   | 9223372036854775808  | is out of range for type bigint
                    bigint   | 99999999999999999999999999999 | is out of range for type bigint
                    integer  | ''                   | is not an integer
                    integer  | ' '                  | is not an integer
                    integer  | ' 1'                 | is not an integer
                    integer  | '1 '                 | is not an integer
                    integer  | 1.0                  | is not an integer
                    integer  | 1.                   | is not an integer
                    integer  | 1e3                  | is not an integer
                    integer  | abc                  | is not an integer
                    integer  | 12abc                | is not an integer
                    integer  | +                    | is not an integer
                    integer  | -                    | is not an integer
                    integer  | ++1                  | is not an integer
                    integer  | +-1                  | is not an integer
                    integer  | 1_000                | is not an integer
                    integer  | 0x1F                 | is not an integer
                    integer  | ١٢٣                  | is not an integer
                    bigint   | NaN                  | is not an integer
                    """)
    void fails(String type, String value, String reason) {
        assertFails(integer(type), value, reason);
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    smallint | smallint
                    int2     | smallint
                    integer  | integer
                    int      | integer
                    int4     | integer
                    INTEGER  | integer
                    bigint   | bigint
                    int8     | bigint
                    ' BigInt ' | bigint
                    """)
    void targetTypes(String type, String canonical) {
        Converter converter = integer(type);
        assertThat(converter.name()).isEqualTo("integer");
        assertThat(converter.targetType()).isEqualTo(canonical);
    }

    @Test
    void narrowingReportsTheTargetType() {
        assertFails(integer("int2"), "40000", "is out of range for type smallint");
    }
}
