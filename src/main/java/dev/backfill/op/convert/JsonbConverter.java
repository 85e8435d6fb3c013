package dev.backfill.op.convert;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

/**
 * Converter {@code jsonb}: text to {@code jsonb} for the modify-column operation (issue 4).
 *
 * <p>The value must be exactly one JSON value (RFC 8259: an object, array, string, number, {@code
 * true}, {@code false} or {@code null}) with optional surrounding whitespace; the output is the
 * text unchanged, since PostgreSQL normalizes jsonb itself. Anything else fails with {@code is not
 * valid JSON: <what> at line L, column C}, e.g. {@code is not valid JSON: Unexpected end-of-input:
 * expected close marker for Object at line 1, column 2}. The empty string, trailing garbage and a
 * second value fail too.
 *
 * <p>It reads the text with Jackson's streaming parser, without building a tree and without
 * Jackson's default size limits (PostgreSQL has none of them); like PostgreSQL's jsonb it also
 * rejects the escape <code>&#92;u0000</code> and unpaired surrogate escapes. Duplicate keys are
 * valid (PostgreSQL keeps the last). The database is assumed to be UTF-8.
 *
 * <p>jsonb stores numbers as {@code numeric}, so a number that {@code numeric} cannot hold fails
 * with {@code is out of range for type jsonb: number at line L, column C does not fit type
 * numeric}: more than 131072 integer digits, more than 16383 fractional digits once the exponent is
 * applied ({@code 1e-16384}), or an exponent beyond &plusmn;1073741823 (see {@link
 * NumericConverter}).
 */
final class JsonbConverter implements Converter {

    private static final long serialVersionUID = 1L;

    private static final JsonFactory JSON =
            JsonFactory.builder()
                    .streamReadConstraints(
                            StreamReadConstraints.builder()
                                    .maxNestingDepth(Integer.MAX_VALUE)
                                    .maxNumberLength(Integer.MAX_VALUE)
                                    .maxStringLength(Integer.MAX_VALUE)
                                    .maxNameLength(Integer.MAX_VALUE)
                                    .build())
                    .build();

    /** Jackson message tails that name its own API or repeat the location; cut off. */
    private static final String[] NOISE = {
        " (start marker at ",
        " (for root starting at ",
        ": was expecting (JSON String",
        ": expected a valid value (JSON String",
    };

    private JsonbConverter() {}

    static JsonbConverter create(String targetType, String normalized) {
        if (!normalized.equals("jsonb")) {
            throw Converters.unsupportedType("jsonb", targetType, "jsonb");
        }
        return new JsonbConverter();
    }

    @Override
    public String name() {
        return "jsonb";
    }

    @Override
    public String targetType() {
        return "jsonb";
    }

    @Override
    public String convert(String value) {
        if (value == null) {
            return null;
        }
        boolean escapes = value.contains("\\u");
        try (JsonParser parser = JSON.createParser(value)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw invalid(value, "No content", parser.currentLocation());
            }
            while (token != null) {
                if (escapes && (token == JsonToken.VALUE_STRING || token == JsonToken.FIELD_NAME)) {
                    checkString(value, parser);
                } else if (token == JsonToken.VALUE_NUMBER_INT
                        || token == JsonToken.VALUE_NUMBER_FLOAT) {
                    checkNumber(value, parser);
                }
                if (parser.getParsingContext().inRoot()) {
                    break; // the root value is complete
                }
                token = parser.nextToken();
            }
            if (token == null) {
                throw invalid(value, "Unexpected end-of-input", parser.currentLocation());
            }
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                throw invalid(
                        value,
                        "Trailing token '" + parser.getText() + "' after the JSON value",
                        parser.currentTokenLocation());
            }
            return value;
        } catch (JsonProcessingException e) {
            throw invalid(value, shorten(e.getOriginalMessage()), e.getLocation());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // reading a String does no I/O
        }
    }

    /** Rejects what PostgreSQL's jsonb rejects in decoded strings: NUL and unpaired surrogates. */
    private static void checkString(String value, JsonParser parser) throws IOException {
        String text = parser.getText();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String problem = null;
            if (c == 0) {
                problem = "Unicode escape \\u0000 is not supported by jsonb";
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    problem = "Unicode high surrogate escape not followed by a low surrogate";
                }
            } else if (Character.isLowSurrogate(c)) {
                problem = "Unicode low surrogate escape not preceded by a high surrogate";
            }
            if (problem != null) {
                throw invalid(value, problem, parser.currentTokenLocation());
            }
        }
    }

    /** Rejects what PostgreSQL's numeric input rejects: numbers beyond numeric's limits. */
    private static void checkNumber(String value, JsonParser parser) throws IOException {
        String text = parser.getText();
        if (text.length() <= NumericConverter.MAX_FRACTION_DIGITS
                && text.indexOf('e') < 0
                && text.indexOf('E') < 0) {
            return; // too short to overflow
        }
        boolean fits;
        try {
            BigDecimal number = new BigDecimal(text);
            fits =
                    NumericConverter.readable(text, number)
                            && (number.signum() == 0
                                    || (long) number.precision() - number.scale()
                                            <= NumericConverter.MAX_INTEGER_DIGITS);
        } catch (NumberFormatException e) {
            fits = false; // an exponent beyond the int range
        }
        if (!fits) {
            JsonLocation at = parser.currentTokenLocation();
            throw new ConversionException(
                    value,
                    "is out of range for type jsonb: number at line "
                            + at.getLineNr()
                            + ", column "
                            + at.getColumnNr()
                            + " does not fit type numeric");
        }
    }

    private static String shorten(String message) {
        if (message == null) {
            return "syntax error";
        }
        String shortened = message;
        for (String noise : NOISE) {
            int at = shortened.indexOf(noise);
            if (at >= 0) {
                shortened = shortened.substring(0, at);
            }
        }
        int newline = shortened.indexOf('\n');
        shortened = newline >= 0 ? shortened.substring(0, newline) : shortened;
        // Jackson glues two sentences together in some messages ("end-of-inputNo digit ...").
        return shortened.replaceFirst("end-of-input(?=[A-Za-z])", "end-of-input: ");
    }

    private static ConversionException invalid(
            String value, String problem, JsonLocation location) {
        String where =
                location == null || location.getLineNr() < 1
                        ? ""
                        : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
        return new ConversionException(value, "is not valid JSON: " + problem + where);
    }

    /**
     * {@code CAST(CAST(<column> AS text) AS jsonb)}: this converter returns the text unchanged and
     * the sink casts it the same way, so both give the same jsonb value. PostgreSQL's jsonb input
     * raises an error for the values this converter rejects (it is as strict as RFC 8259 and shares
     * numeric's limits); it may also raise one for a value this converter accepts that is nested
     * deeper than the server's {@code max_stack_depth} allows (between 12,000 and 20,000 levels
     * with the default 2MB), which fails the Java backfill's own write too.
     */
    @Override
    public String sqlUsing(String quotedColumn) {
        return "CAST(" + Converters.columnText(quotedColumn) + " AS jsonb)";
    }

    @Override
    public String toString() {
        return "jsonb to jsonb";
    }
}
