package dev.backfill.op.convert;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.HashMap;
import java.util.Map;

import static dev.backfill.op.convert.ConverterAssertions.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for the {@link Converters} registry and the reorg's conversion error message. */
class ConvertersTest {

    @Test
    void knowsItsNames() {
        assertThat(Converters.names())
                .containsExactly("integer", "numeric", "timestamptz", "jsonb");
    }

    @ParameterizedTest(name = "{0} to {1}")
    @CsvSource(
            delimiter = '|',
            nullValues = "NULL",
            textBlock =
                    """
                    integer     | integer                  | NULL              | integer
                    numeric     | numeric(12,2)            | rounding=half-up  | numeric(12,2)
                    timestamptz | timestamp with time zone | zone=Europe/Berlin | timestamp with time zone
                    timestamptz | timestamptz              | format=yyyy-MM-dd | timestamp with time zone
                    jsonb       | jsonb                    | NULL              | jsonb
                    """)
    void createsEachConverter(String name, String type, String option, String canonical) {
        Converter converter = Converters.create(name, type, options(option));
        assertThat(converter.name()).isEqualTo(name);
        assertThat(converter.targetType()).isEqualTo(canonical);
        assertThat(converter.convert(null)).isNull();
    }

    @ParameterizedTest(name = "{0} to {1}: {3}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            nullValues = "NULL",
            textBlock =
                    """
                    foo         | integer  | NULL        | unknown converter 'foo' (known converters: integer, numeric, timestamptz, jsonb)
                    Integer     | integer  | NULL        | unknown converter 'Integer' (known converters: integer, numeric, timestamptz, jsonb)
                    ""          | integer  | NULL        | unknown converter '' (known converters: integer, numeric, timestamptz, jsonb)
                    NULL        | integer  | NULL        | unknown converter null (known converters: integer, numeric, timestamptz, jsonb)
                    integer     | NULL     | NULL        | converter 'integer' needs a target type
                    integer     | " "      | NULL        | converter 'integer' needs a target type
                    integer     | text     | NULL        | converter 'integer' cannot convert to type 'text' (supported: smallint, integer, bigint)
                    integer     | numeric  | NULL        | converter 'integer' cannot convert to type 'numeric' (supported: smallint, integer, bigint)
                    integer     | integer  | rounding=half-up | converter 'integer' has no option 'rounding' (known options: none)
                    numeric     | numeric  | round=half-up | converter 'numeric' has no option 'round' (known options: rounding)
                    timestamptz | timestamptz | zone=UTC,fromat=yyyy | converter 'timestamptz' has no option 'fromat' (known options: format, zone, gap, overlap)
                    jsonb       | jsonb    | strict=true | converter 'jsonb' has no option 'strict' (known options: none)
                    jsonb       | text     | NULL        | converter 'jsonb' cannot convert to type 'text' (supported: jsonb)
                    """)
    void rejectsBadSpecs(String name, String type, String option, String message) {
        Map<String, String> options = option == null ? null : options(option.split(","));
        assertThatThrownBy(() -> Converters.create(name, type, options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(message);
    }

    @Test
    void rejectsAnOptionWithoutValue() {
        Map<String, String> options = new HashMap<>();
        options.put("zone", null);
        assertThatThrownBy(() -> Converters.create("timestamptz", "timestamptz", options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("option 'zone' of converter 'timestamptz' has no value");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            textBlock =
                    """
                    bigint                        | bigint
                    ' BIGINT '                    | bigint
                    'NUMERIC (12, 2)'             | numeric(12,2)
                    'numeric( 12 ,2 )'            | numeric(12,2)
                    'Timestamp  With Time Zone'   | timestamp with time zone
                    'timestamp (3) with time zone' | timestamp(3) with time zone
                    """)
    void normalizesTypeNames(String type, String normalized) {
        assertThat(Converters.normalizeType(type)).isEqualTo(normalized);
    }

    @Test
    void messageHasTheRequiredFormat() {
        ConversionException e =
                new ConversionException("2147483648", "is out of range for type integer");
        assertThat(e.getMessage()).isEqualTo("value '2147483648' is out of range for type integer");
        assertThat(Converters.message("amount", "(42)", e))
                .isEqualTo(
                        "cannot convert column 'amount' of row (42): value '2147483648' is out of"
                                + " range for type integer");
        assertThat(Converters.message("id", "(7, 'b')", e))
                .isEqualTo(
                        "cannot convert column 'id' of row (7, 'b'): value '2147483648' is out of"
                                + " range for type integer");
    }

    @Test
    void messageOfARealFailure() {
        Converter converter = Converters.create("numeric", "numeric(12,2)", Map.of());
        ConversionException e =
                org.assertj.core.api.Assertions.catchThrowableOfType(
                        ConversionException.class, () -> converter.convert("1.005"));
        assertThat(Converters.message("amount", "(42)", e))
                .isEqualTo(
                        "cannot convert column 'amount' of row (42): value '1.005' has more than 2"
                                + " fractional digits for type numeric(12,2)");
    }

    @Test
    void notNullHasItsOwnMessage() {
        ConversionException e = ConversionException.notNull();
        assertThat(e.value()).isNull();
        assertThat(e.reason()).isEqualTo("violates not-null constraint");
        assertThat(Converters.message("amount", "(42)", e))
                .isEqualTo(
                        "cannot convert column 'amount' of row (42): value NULL violates not-null"
                                + " constraint");
    }

    @Test
    void longValuesAreCutInMessagesOnly() {
        String value = "x".repeat(1000);
        ConversionException e = new ConversionException(value, "is not an integer");
        assertThat(e.value()).isEqualTo(value);
        assertThat(Converters.message("c", "(1)", e))
                .isEqualTo(
                        "cannot convert column 'c' of row (1): value '"
                                + "x".repeat(200)
                                + "...' is not an integer");
        String exactly200 = "y".repeat(200);
        assertThat(new ConversionException(exactly200, "r").getMessage())
                .isEqualTo("value '" + exactly200 + "' r");
        String pairAtTheCut = "z".repeat(199) + "\uD83D\uDE00" + "z";
        assertThat(new ConversionException(pairAtTheCut, "r").getMessage())
                .isEqualTo("value '" + "z".repeat(199) + "...' r");
    }

    /** Converters travel inside Flink operators: they must survive Java serialization. */
    @ParameterizedTest(name = "{0} to {1}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '"',
            nullValues = "NULL",
            textBlock =
                    """
                    integer     | smallint      | NULL                | 12               | 12
                    numeric     | numeric(5,2)  | rounding=half-up    | 1.005            | 1.01
                    timestamptz | timestamptz   | zone=Europe/Berlin  | 2024-07-01 12:00:00 | 2024-07-01 12:00:00.000000+02:00
                    timestamptz | timestamptz   | format=dd.MM.yyyy   | 02.01.2024       | 2024-01-02 00:00:00.000000+00:00
                    jsonb       | jsonb         | NULL                | [1]              | [1]
                    """)
    void survivesSerialization(
            String name, String type, String option, String value, String expected)
            throws Exception {
        Converter original = Converters.create(name, type, options(option));
        original.convert(value); // builds any lazy state first
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(original);
        }
        Converter copy;
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            copy = (Converter) in.readObject();
        }
        assertThat(copy.convert(value)).isEqualTo(expected);
        assertThat(copy.targetType()).isEqualTo(original.targetType());
    }

    @Test
    void conversionExceptionSurvivesSerialization() throws Exception {
        ConversionException original = new ConversionException("x", "is not an integer");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(original);
        }
        try (ObjectInputStream in =
                new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            ConversionException copy = (ConversionException) in.readObject();
            assertThat(copy.value()).isEqualTo("x");
            assertThat(copy.reason()).isEqualTo("is not an integer");
            assertThat(copy.getMessage()).isEqualTo("value 'x' is not an integer");
        }
    }
}
