package dev.backfill.op.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Map;

import static dev.backfill.op.convert.ConverterAssertions.assertConverts;
import static dev.backfill.op.convert.ConverterAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for converter {@code jsonb}: text that holds exactly one JSON value. */
class JsonbConverterTest {

    private static final Converter JSONB = Converters.create("jsonb", "jsonb", Map.of());

    /** Valid JSON comes back unchanged; PostgreSQL normalizes it. Quote character: backtick. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            nullValues = "NULL",
            textBlock =
                    """
                    {}
                    []
                    {"a":1}
                    { "a" : 1 , "b" : [ true , false , null ] }
                    [1,"two",null,true,false,{"b":[]},-0.5e-3]
                    {"a":1,"a":2}
                    {"":""}
                    ""
                    "abc"
                    "say \\"hi\\"\\n\\t\\u00e9 \\ud83d\\ude00"
                    "ünïcødé €"
                    0
                    -0
                    1.5E+10
                    1e400
                    123456789012345678901234567890.123456789
                    true
                    false
                    null
                    `  {"a":1}  `
                    `\t[1]\t`
                    NULL
                    """)
    void acceptsValidJson(String value) {
        assertConverts(JSONB, value, value);
    }

    @ParameterizedTest(name = "''{0}'' {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            textBlock =
                    """
                    ``                | is not valid JSON: No content at line 1, column 1
                    `   `             | is not valid JSON: No content at line 1, column 4
                    {                 | is not valid JSON: Unexpected end-of-input: expected close marker for Object at line 1, column 2
                    [1,2              | is not valid JSON: Unexpected end-of-input: expected close marker for Array at line 1, column 5
                    {"a":1,}          | is not valid JSON: Unexpected character ('}' (code 125)): was expecting double-quote to start field name at line 1, column 8
                    [1,]              | is not valid JSON: Unexpected character (']' (code 93)) at line 1, column 4
                    {a:1}             | is not valid JSON: Unexpected character ('a' (code 97)): was expecting double-quote to start field name at line 1, column 2
                    {"a" 1}           | is not valid JSON: Unexpected character ('1' (code 49)): was expecting a colon to separate field name and value at line 1, column 6
                    {} x              | is not valid JSON: Unrecognized token 'x' at line 1, column 5
                    {}}               | is not valid JSON: Unexpected close marker '}': expected ']' at line 1, column 3
                    1 2               | is not valid JSON: Trailing token '2' after the JSON value at line 1, column 3
                    {}{}              | is not valid JSON: Trailing token '{' after the JSON value at line 1, column 3
                    `[1] "a"`         | is not valid JSON: Trailing token 'a' after the JSON value at line 1, column 5
                    1x                | is not valid JSON: Unexpected character ('x' (code 120)): Expected space separating root-level values at line 1, column 2
                    abc               | is not valid JSON: Unrecognized token 'abc' at line 1, column 4
                    tru               | is not valid JSON: Unrecognized token 'tru' at line 1, column 4
                    `'a'`             | is not valid JSON: Unexpected character (''' (code 39)) at line 1, column 1
                    "abc              | is not valid JSON: Unexpected end-of-input: was expecting closing quote for a string value at line 1, column 5
                    -                 | is not valid JSON: Unexpected end-of-input: No digit following sign at line 1, column 2
                    1e                | is not valid JSON: Unexpected end-of-input: expected a digit for number exponent at line 1, column 3
                    "\\x"             | is not valid JSON: Unrecognized character escape 'x' (code 120) at line 1, column 3
                    01                | is not valid JSON: Invalid numeric value: Leading zeroes not allowed at line 1, column 2
                    1.                | is not valid JSON: Unexpected character ('.' (code 46)) in numeric value: Decimal point not followed by a digit at line 1, column 2
                    .5                | is not valid JSON: Unexpected character ('.' (code 46)) at line 1, column 1
                    +1                | is not valid JSON: Unexpected character ('+' (code 43)) in numeric value: JSON spec does not allow numbers to have plus signs: enable `JsonReadFeature.ALLOW_LEADING_PLUS_SIGN_FOR_NUMBERS` to allow at line 1, column 2
                    NaN               | is not valid JSON: Non-standard token 'NaN': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow at line 1, column 4
                    "\\u0000"         | is not valid JSON: Unicode escape \\u0000 is not supported by jsonb at line 1, column 1
                    {"\\u0000":1}     | is not valid JSON: Unicode escape \\u0000 is not supported by jsonb at line 1, column 2
                    "\\ud800"         | is not valid JSON: Unicode high surrogate escape not followed by a low surrogate at line 1, column 1
                    ["\\udc00"]       | is not valid JSON: Unicode low surrogate escape not preceded by a high surrogate at line 1, column 2
                    """)
    void rejectsInvalidJson(String value, String reason) {
        assertFails(JSONB, value, reason);
    }

    @Test
    void rejectsAnUnescapedNewlineInAString() {
        assertFails(
                JSONB,
                "{\"a\":\"x\ny\"}",
                "is not valid JSON: Illegal unquoted character ((CTRL-CHAR, code 10)): has to be"
                        + " escaped using backslash to be included in string value at line 1,"
                        + " column 8");
    }

    @Test
    void reportsTheLineOfAMultiLineDocument() {
        assertFails(
                JSONB,
                "{\n  \"a\": 1\n}\ngarbage",
                "is not valid JSON: Unrecognized token 'garbage' at line 4, column 8");
    }

    /** Jackson's default limits (1000 digits, depth 1000) are lifted: PostgreSQL has none. */
    @Test
    void acceptsLongNumbersAndDeepNesting() {
        String number = "9".repeat(5000) + "." + "1".repeat(5000);
        assertConverts(JSONB, number, number);
        String deep = "[".repeat(5000) + "]".repeat(5000);
        assertConverts(JSONB, deep, deep);
        String unbalanced = "[".repeat(5000) + "]".repeat(4999);
        assertThatThrownBy(() -> JSONB.convert(unbalanced))
                .isInstanceOf(ConversionException.class)
                .hasMessageEndingWith(
                        "is not valid JSON: Unexpected end-of-input: expected close marker for"
                                + " Array at line 1, column 10000");
    }

    @Test
    void targetMustBeJsonb() {
        assertThat(Converters.create("jsonb", "JSONB", null).targetType()).isEqualTo("jsonb");
        assertThatThrownBy(() -> Converters.create("jsonb", "json", Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("converter 'jsonb' cannot convert to type 'json' (supported: jsonb)");
    }
}
