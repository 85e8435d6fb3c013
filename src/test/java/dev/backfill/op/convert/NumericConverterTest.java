package dev.backfill.op.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.backfill.op.convert.ConverterAssertions.assertConverts;
import static dev.backfill.op.convert.ConverterAssertions.assertFails;
import static dev.backfill.op.convert.ConverterAssertions.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Tests for converter {@code numeric}: text and integers to numeric, and scale changes. */
class NumericConverterTest {

    private static Converter numeric(String type, String rounding) {
        return Converters.create(
                "numeric", type, options(rounding == null ? null : "rounding=" + rounding));
    }

    @ParameterizedTest(name = "{0} rounding {1}: {2} -> {3}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
                    numeric(5,2)  | NULL    | 999.99      | 999.99
                    numeric(5,2)  | NULL    | -999.99     | -999.99
                    numeric(5,2)  | NULL    | +999.99     | 999.99
                    numeric(5,2)  | NULL    | 0           | 0.00
                    numeric(5,2)  | NULL    | -0          | 0.00
                    numeric(5,2)  | NULL    | -0.00       | 0.00
                    numeric(5,2)  | NULL    | 0.01        | 0.01
                    numeric(5,2)  | NULL    | 1.5         | 1.50
                    numeric(5,2)  | NULL    | 1.500000    | 1.50
                    numeric(5,2)  | NULL    | .5          | 0.50
                    numeric(5,2)  | NULL    | 5.          | 5.00
                    numeric(5,2)  | NULL    | 42          | 42.00
                    numeric(5,2)  | NULL    | 1e2         | 100.00
                    numeric(5,2)  | NULL    | 1E+2        | 100.00
                    numeric(5,2)  | NULL    | 12345e-2    | 123.45
                    numeric(5,2)  | NULL    | 0e999999999 | 0.00
                    numeric(5,2)  | NULL    | NULL        | NULL
                    numeric(5,2)  | none    | 1.00        | 1.00
                    numeric(5,2)  | half-up | 1.005       | 1.01
                    numeric(5,2)  | half-up | -1.005      | -1.01
                    numeric(5,2)  | half-up | 1.004999    | 1.00
                    numeric(5,2)  | half-up | 999.994     | 999.99
                    numeric(5,2)  | half-up | -0.001      | 0.00
                    numeric(5,2)  | half-up | 0.005       | 0.01
                    numeric(5,2)  | half-up | 1e-16383    | 0.00
                    numeric(5,2)  | half-up | 0.00e-16381 | 0.00
                    numeric(5,2)  | NULL    | 0e1073741823 | 0.00
                    numeric(5,2)  | NULL    | 0e-16383    | 0.00
                    numeric(5,2)  | half-up | NULL        | NULL
                    numeric(12,2) | NULL    | 9999999999.99 | 9999999999.99
                    numeric(12,2) | NULL    | 2147483647  | 2147483647.00
                    numeric(5)    | NULL    | 99999       | 99999
                    numeric(5)    | NULL    | -99999.000  | -99999
                    numeric(5,0)  | half-up | 99998.5     | 99999
                    numeric(3,-2) | NULL    | 12300       | 12300
                    numeric(3,-2) | NULL    | 99900       | 99900
                    numeric(3,-2) | half-up | 12350       | 12400
                    numeric(3,5)  | NULL    | 0.00999     | 0.00999
                    numeric(3,5)  | NULL    | -0.001      | -0.00100
                    numeric       | NULL    | 1.50        | 1.50
                    numeric       | NULL    | 1e3         | 1000
                    numeric       | NULL    | 0e5         | 0
                    numeric       | NULL    | 0e1073741823 | 0
                    numeric       | NULL    | -0.00       | 0.00
                    numeric       | NULL    | 123456789012345678901234567890.123456789 | 123456789012345678901234567890.123456789
                    numeric       | NULL    | NaN         | NaN
                    numeric       | NULL    | nan         | NaN
                    numeric       | NULL    | Infinity    | Infinity
                    numeric       | NULL    | +inf        | Infinity
                    numeric       | NULL    | -Infinity   | -Infinity
                    numeric       | NULL    | NULL        | NULL
                    """)
    void converts(String type, String rounding, String value, String expected) {
        assertConverts(numeric(type, rounding), value, expected);
    }

    @ParameterizedTest(name = "{0} rounding {1}: ''{2}'' {3}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
                    numeric(5,2)  | NULL    | 1000.00       | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1000          | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | -1000.00      | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1e3           | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1000.005      | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1e999999999   | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1e99999999999 | is out of range for type numeric(5,2)
                    numeric(5,2)  | half-up | 999.995       | is out of range for type numeric(5,2)
                    numeric(5,2)  | half-up | -999.995      | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1.005         | has more than 2 fractional digits for type numeric(5,2)
                    numeric(5,2)  | none    | 1.005         | has more than 2 fractional digits for type numeric(5,2)
                    numeric(5,2)  | NULL    | 0.001         | has more than 2 fractional digits for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1e-16383      | has more than 2 fractional digits for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1e-999999999  | is out of range for type numeric(5,2)
                    numeric(5,2)  | half-up | 1e-999999999  | is out of range for type numeric(5,2)
                    numeric(5,2)  | half-up | 1e-16384      | is out of range for type numeric(5,2)
                    numeric(5,2)  | half-up | 0.000e-16381  | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 0e1073741824  | is out of range for type numeric(5,2)
                    numeric(5,2)  | NULL    | 1e+1073741823 | is out of range for type numeric(5,2)
                    numeric(12,2) | NULL    | 0.125         | has more than 2 fractional digits for type numeric(12,2)
                    numeric(5,0)  | NULL    | 0.5           | has more than 0 fractional digits for type numeric(5,0)
                    numeric(5)    | NULL    | 100000        | is out of range for type numeric(5,0)
                    numeric(3,-2) | NULL    | 12345         | is not a multiple of 100 for type numeric(3,-2)
                    numeric(3,-2) | NULL    | 100000        | is out of range for type numeric(3,-2)
                    numeric(3,5)  | NULL    | 0.01          | is out of range for type numeric(3,5)
                    numeric(5,2)  | NULL    | NaN           | is not a finite number for type numeric(5,2)
                    numeric(5,2)  | NULL    | Infinity      | is not a finite number for type numeric(5,2)
                    numeric(5,2)  | NULL    | -Infinity     | is not a finite number for type numeric(5,2)
                    numeric(5,2)  | half-up | -inf          | is not a finite number for type numeric(5,2)
                    numeric(5,2)  | NULL    | ''            | is not a number
                    numeric(5,2)  | NULL    | ' '           | is not a number
                    numeric(5,2)  | NULL    | ' 1.5'        | is not a number
                    numeric(5,2)  | NULL    | '1.5 '        | is not a number
                    numeric(5,2)  | NULL    | abc           | is not a number
                    numeric(5,2)  | NULL    | '1,5'         | is not a number
                    numeric(5,2)  | NULL    | 1.2.3         | is not a number
                    numeric(5,2)  | NULL    | .             | is not a number
                    numeric(5,2)  | NULL    | e5            | is not a number
                    numeric(5,2)  | NULL    | 1e            | is not a number
                    numeric(5,2)  | NULL    | 1_000         | is not a number
                    numeric(5,2)  | NULL    | 0x1F          | is not a number
                    numeric(5,2)  | NULL    | ١٢٣           | is not a number
                    numeric(5,2)  | NULL    | $1.00         | is not a number
                    numeric       | NULL    | ''            | is not a number
                    numeric       | NULL    | 1e200000      | is out of range for type numeric
                    numeric       | NULL    | 1e-20000      | is out of range for type numeric
                    numeric       | NULL    | 1e-16384      | is out of range for type numeric
                    numeric       | NULL    | 0e-16384      | is out of range for type numeric
                    numeric       | NULL    | 0.50e-16382   | is out of range for type numeric
                    numeric       | NULL    | 1e131072      | is out of range for type numeric
                    numeric       | NULL    | 0e1073741824  | is out of range for type numeric
                    """)
    void fails(String type, String rounding, String value, String reason) {
        assertFails(numeric(type, rounding), value, reason);
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    numeric(12,2)    | numeric(12,2)
                    'NUMERIC (12, 2)' | numeric(12,2)
                    decimal(12,2)    | numeric(12,2)
                    numeric(7)       | numeric(7,0)
                    numeric          | numeric
                    decimal          | numeric
                    numeric(1000,-1000) | numeric(1000,-1000)
                    """)
    void targetTypes(String type, String canonical) {
        Converter converter = numeric(type, null);
        assertThat(converter.name()).isEqualTo("numeric");
        assertThat(converter.targetType()).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "{0} rounding {1}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
                    text           | NULL    | converter 'numeric' cannot convert to type 'text' (supported: numeric(p,s), numeric(p), numeric)
                    numeric(5,2,1) | NULL    | converter 'numeric' cannot convert to type 'numeric(5,2,1)' (supported: numeric(p,s), numeric(p), numeric)
                    numeric(0,0)   | NULL    | precision of type 'numeric(0,0)' must be between 1 and 1000
                    numeric(1001)  | NULL    | precision of type 'numeric(1001)' must be between 1 and 1000
                    numeric(5,1001) | NULL   | scale of type 'numeric(5,1001)' must be between -1000 and 1000
                    numeric(99999999999,2) | NULL | type 'numeric(99999999999,2)' has an invalid typmod
                    numeric(5,2)   | up      | option 'rounding' of converter 'numeric' is 'up' but must be 'none' (the default) or 'half-up'
                    numeric        | half-up | option 'rounding' of converter 'numeric' needs a type with a scale, not numeric
                    """)
    void rejectsBadSpecs(String type, String rounding, String message) {
        assertThatThrownBy(() -> numeric(type, rounding))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    /**
     * PostgreSQL's numeric input reads at most 16383 fractional digits (trailing zeros included)
     * and 131072 integer digits, whatever the typmod; what it cannot read fails here too.
     */
    @Test
    void limitsOfPostgresqlsNumericInput() {
        String fraction16383 = "1." + "0".repeat(16383);
        String fraction16384 = "1." + "0".repeat(16384);
        assertConverts(numeric("numeric", null), fraction16383, fraction16383);
        assertConverts(numeric("numeric(5,2)", null), fraction16383, "1.00");
        assertConverts(numeric("numeric(5,2)", "half-up"), "0." + "0".repeat(16382) + "5", "0.00");
        assertOutOfRange(numeric("numeric", null), fraction16384);
        assertOutOfRange(numeric("numeric(5,2)", null), fraction16384);
        assertOutOfRange(numeric("numeric(5,2)", "half-up"), "0." + "0".repeat(16383) + "5");
        String integer131072 = "1" + "0".repeat(131071);
        assertConverts(numeric("numeric", null), integer131072, integer131072);
        assertConverts(numeric("numeric", null), "1e131071", integer131072);
        assertOutOfRange(numeric("numeric", null), integer131072 + "0");
    }

    /** For values too long to appear whole in the message. */
    private static void assertOutOfRange(Converter converter, String value) {
        ConversionException e =
                catchThrowableOfType(ConversionException.class, () -> converter.convert(value));
        assertThat(e).as("%s of a %d-character value", converter, value.length()).isNotNull();
        assertThat(e.value()).isEqualTo(value);
        assertThat(e.reason()).isEqualTo("is out of range for type " + converter.targetType());
        assertThat(Converters.message("amount", "(42)", e))
                .isEqualTo(
                        "cannot convert column 'amount' of row (42): value '"
                                + value.substring(0, 200)
                                + "...' is out of range for type "
                                + converter.targetType());
    }

    @Test
    void scaleChangeWidensAndNarrowsStrictly() {
        Converter wider = numeric("numeric(14,4)", null);
        assertConverts(wider, "12.34", "12.3400");
        Converter narrower = numeric("numeric(12,1)", null);
        assertConverts(narrower, "12.30", "12.3");
        assertFails(narrower, "12.34", "has more than 1 fractional digit for type numeric(12,1)");
        assertConverts(numeric("numeric(12,1)", "half-up"), "12.35", "12.4");
    }
}
