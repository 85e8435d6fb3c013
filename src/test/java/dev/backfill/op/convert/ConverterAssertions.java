package dev.backfill.op.convert;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Shared assertions for the converter tests: exact outputs and exact failure messages. */
final class ConverterAssertions {

    static final String COLUMN = "amount";
    static final String ROW = "(42)";

    private ConverterAssertions() {}

    /** Options from {@code key=value} pairs; {@code null} or blank entries are skipped. */
    static Map<String, String> options(String... pairs) {
        Map<String, String> options = new HashMap<>();
        for (String pair : pairs) {
            if (pair != null && !pair.isBlank()) {
                int eq = pair.indexOf('=');
                options.put(pair.substring(0, eq), pair.substring(eq + 1));
            }
        }
        return options;
    }

    static void assertConverts(Converter converter, String value, String expected) {
        assertThat(converter.convert(value)).as("%s of '%s'", converter, value).isEqualTo(expected);
    }

    /**
     * Asserts that {@code value} fails with exactly {@code reason}, and that the reorg's message
     * for it is {@code cannot convert column 'amount' of row (42): value '<value>' <reason>}.
     */
    static ConversionException assertFails(Converter converter, String value, String reason) {
        ConversionException e =
                catchThrowableOfType(ConversionException.class, () -> converter.convert(value));
        assertThat(e).as("%s of '%s' should fail", converter, value).isNotNull();
        assertThat(e.value()).isEqualTo(value);
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(Converters.message(COLUMN, ROW, e))
                .isEqualTo(
                        "cannot convert column 'amount' of row (42): value '"
                                + value
                                + "' "
                                + reason);
        return e;
    }
}
