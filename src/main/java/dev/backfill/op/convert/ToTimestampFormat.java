package dev.backfill.op.convert;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link java.time.format.DateTimeFormatter} pattern of converter {@code timestamptz}, translated
 * into a PostgreSQL {@code to_timestamp} format for the converter's {@linkplain
 * TimestamptzConverter#sqlUsing SQL counterpart}, for a subset of pattern letters ({@link
 * #SUPPORTED}).
 *
 * <p>The translation is exact for the values the Java converter accepts (strict parsing, English
 * names, {@code ERA} defaulted to AD), not for any value: {@code to_timestamp} is lenient, which
 * does not matter for values that match the pattern exactly. Literal text becomes a double-quoted
 * literal (which skips as many input characters); adjacent fields are kept apart by an empty
 * literal {@code ""} so that {@code DD} and {@code Dy} do not read as {@code DDD}. Two value
 * rewrites, done by {@link #input}, cover what {@code to_timestamp} cannot read as is:
 *
 * <ul>
 *   <li>{@code XX} and {@code XXX} write a zero offset as {@code Z}, which {@code TZH} does not
 *       read: the {@code Z} becomes {@code +0000} or {@code +00:00};
 *   <li>a year followed directly by other digits ({@code yyyyMMdd}) is read with exactly four
 *       digits by {@code to_timestamp}, while Java reads a year of five or more digits with a
 *       {@code +} sign ({@code +120240102}): a space is put between the year and the rest.
 * </ul>
 *
 * <p>Patterns that need more fail in {@link #translate} with an {@link IllegalArgumentException}
 * whose message says what is not supported (without the converter's prefix).
 */
final class ToTimestampFormat {

    /** The pattern letters {@link #translate} supports, as its error messages list them. */
    static final String SUPPORTED =
            "yyyy, uuuu, M, MM, MMM, MMMM, d, dd, E, EEE, EEEE, H, HH, h or hh with a, m, mm, s,"
                    + " ss, S to SSSSSSSSS, XX, XXX, xx, xxx, and literal text";

    /** Longest repetition PostgreSQL's regular expressions allow in {@code .{n}}. */
    private static final int MAX_REPEAT = 255;

    private final String format;
    private final boolean hasOffset;

    /** The {@code Z} rewrite: the regular expression and its replacement, or {@code null}. */
    private final String[] zulu;

    /** The year rewrite: the regular expression and its replacement, or {@code null}. */
    private final String[] yearSplit;

    private ToTimestampFormat(String format, boolean hasOffset, String[] zulu, String[] yearSplit) {
        this.format = format;
        this.hasOffset = hasOffset;
        this.zulu = zulu;
        this.yearSplit = yearSplit;
    }

    /** The {@code to_timestamp} format, e.g. {@code YYYY"-"MM"-"DD" "HH24":"MI":"SS}. */
    String format() {
        return format;
    }

    /**
     * Whether the pattern has an offset ({@code XX}, {@code XXX}, {@code xx}, {@code xxx}), so that
     * {@code to_timestamp} gives the instant itself; otherwise the caller adds one.
     */
    boolean hasOffset() {
        return hasOffset;
    }

    /**
     * The value that {@code to_timestamp} reads: {@code text} (an SQL expression of type text),
     * rewritten with {@code regexp_replace} where the pattern needs it (see the class comment).
     */
    String input(String text) {
        String input = text;
        for (String[] rewrite : new String[][] {zulu, yearSplit}) {
            if (rewrite != null) {
                input =
                        "regexp_replace("
                                + input
                                + ", "
                                + Converters.sqlString(rewrite[0])
                                + ", "
                                + Converters.sqlString(rewrite[1])
                                + ")";
            }
        }
        return input;
    }

    /** One piece of the pattern: literal text, or a field. */
    private static final class Element {
        final String literal;
        final char letter;
        final int count;

        /** The {@code to_timestamp} text. */
        String pg;

        /** Whether the field reads digits. */
        boolean numeric;

        /** Its width in characters, or -1 when it varies. */
        int width;

        Element(String literal) {
            this.literal = literal;
            this.letter = 0;
            this.count = 0;
            this.pg = "\"" + literal.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            this.width = literal.codePointCount(0, literal.length());
        }

        Element(char letter, int count) {
            this.literal = null;
            this.letter = letter;
            this.count = count;
        }

        boolean isField() {
            return literal == null;
        }

        boolean isYear() {
            return letter == 'y' || letter == 'u';
        }

        boolean isOffset() {
            return letter == 'X' || letter == 'x';
        }

        String pattern() {
            return String.valueOf(letter).repeat(count);
        }
    }

    /**
     * Translates {@code pattern}, a pattern the Java converter has already accepted.
     *
     * @throws IllegalArgumentException if the pattern uses what the translation does not support;
     *     the message says what, e.g. {@code pattern letter 'V' is not supported (supported: ...)}
     */
    static ToTimestampFormat translate(String pattern) {
        List<Element> elements = parse(pattern);
        Map<String, Element> fields = new HashMap<>();
        for (Element e : elements) {
            if (e.isField()) {
                map(e);
                Element before = fields.put(group(e.letter), e);
                if (before != null) {
                    throw new IllegalArgumentException(
                            "pattern '"
                                    + e.pattern()
                                    + "' sets the "
                                    + group(e.letter)
                                    + " that '"
                                    + before.pattern()
                                    + "' sets");
                }
            }
        }
        Element hour = fields.get("hour");
        if (fields.containsKey("am-pm") && (hour == null || hour.letter != 'h')) {
            throw new IllegalArgumentException(
                    "pattern 'a' is only supported with 'h' or 'hh' (not 'H' or 'HH')");
        }

        for (int i = 0; i + 1 < elements.size(); i++) {
            Element e = elements.get(i);
            Element next = elements.get(i + 1);
            if (e.numeric && !e.isYear() && e.width < 0 && next.numeric) {
                throw new IllegalArgumentException(
                        "pattern '"
                                + e.pattern()
                                + "' is directly followed by the number '"
                                + next.pattern()
                                + "'; use '"
                                + e.pattern()
                                + e.pattern()
                                + "'");
            }
        }

        boolean hasOffset = false;
        String[] zulu = null;
        String[] yearSplit = null;
        for (int i = 0; i < elements.size(); i++) {
            Element e = elements.get(i);
            if (e.isOffset()) {
                hasOffset = true;
                if (e.letter == 'X') {
                    int tail = width(elements.subList(i + 1, elements.size()), e, "after");
                    String zero = e.count == 2 ? "+0000" : "+00:00";
                    zulu =
                            tail == 0
                                    ? new String[] {"Z$", zero}
                                    : new String[] {"Z(.{" + tail + "})$", zero + "\\1"};
                }
            } else if (e.isYear() && i + 1 < elements.size() && elements.get(i + 1).numeric) {
                int prefix = width(elements.subList(0, i), e, "before");
                int run = 0;
                for (int j = i + 1; j < elements.size() && elements.get(j).numeric; j++) {
                    Element d = elements.get(j);
                    if (d.width < 0) {
                        throw new IllegalArgumentException(
                                "pattern '"
                                        + e.pattern()
                                        + "' is directly followed by the variable-width number '"
                                        + d.pattern()
                                        + "'");
                    }
                    run += d.width;
                }
                if (run > MAX_REPEAT) {
                    throw tooLong(e);
                }
                String skip = prefix == 0 ? "" : ".{" + prefix + "}";
                yearSplit =
                        new String[] {"^(" + skip + "[+]?[0-9]+)([0-9]{" + run + "})", "\\1 \\2"};
            }
        }

        StringBuilder format = new StringBuilder();
        for (int i = 0; i < elements.size(); i++) {
            Element e = elements.get(i);
            if (i > 0 && e.isField() && elements.get(i - 1).isField()) {
                // an empty literal keeps adjacent keywords apart (DD then Dy is not DDD, y)
                // and, with the year rewrite, the year is followed by the space put in the value
                format.append(elements.get(i - 1).isYear() && yearSplit != null ? " " : "\"\"");
            }
            format.append(e.pg);
        }
        return new ToTimestampFormat(format.toString(), hasOffset, zulu, yearSplit);
    }

    /** Splits a pattern into literal text and fields, as DateTimeFormatterBuilder reads it. */
    private static List<Element> parse(String pattern) {
        List<Element> elements = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < pattern.length()) {
            char c = pattern.charAt(i);
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
                int end = i;
                while (end < pattern.length() && pattern.charAt(end) == c) {
                    end++;
                }
                if (literal.length() > 0) {
                    elements.add(new Element(literal.toString()));
                    literal.setLength(0);
                }
                elements.add(new Element(c, end - i));
                i = end;
            } else if (c == '\'') {
                int end = i + 1;
                while (end < pattern.length()) {
                    if (pattern.charAt(end) == '\'') {
                        if (end + 1 < pattern.length() && pattern.charAt(end + 1) == '\'') {
                            literal.append('\'');
                            end += 2;
                            continue;
                        }
                        break;
                    }
                    literal.append(pattern.charAt(end));
                    end++;
                }
                if (end == i + 1) {
                    literal.append('\''); // '' is a quote
                }
                i = end + 1;
            } else if (c == '[' || c == ']' || c == '{' || c == '}' || c == '#') {
                throw new IllegalArgumentException(
                        "optional sections and the characters [ ] { } # are not supported");
            } else {
                literal.append(c);
                i++;
            }
        }
        if (literal.length() > 0) {
            elements.add(new Element(literal.toString()));
        }
        return elements;
    }

    /** Sets the field's {@code to_timestamp} text, kind and width, or refuses it. */
    private static void map(Element e) {
        int n = e.count;
        switch (e.letter) {
            case 'y':
            case 'u':
                if (n == 4) {
                    numeric(e, "YYYY", -1); // 4 digits, or + and 5 or more
                    return;
                }
                break;
            case 'M':
                if (n <= 2) {
                    numeric(e, "MM", n == 2 ? 2 : -1);
                    return;
                } else if (n == 3) {
                    text(e, "Mon", 3);
                    return;
                } else if (n == 4) {
                    text(e, "Month", -1);
                    return;
                }
                break;
            case 'd':
                if (n <= 2) {
                    numeric(e, "DD", n == 2 ? 2 : -1);
                    return;
                }
                break;
            case 'E':
                if (n <= 3) {
                    text(e, "Dy", 3);
                    return;
                } else if (n == 4) {
                    text(e, "Day", -1);
                    return;
                }
                break;
            case 'H':
                if (n <= 2) {
                    numeric(e, "HH24", n == 2 ? 2 : -1);
                    return;
                }
                break;
            case 'h':
                if (n <= 2) {
                    numeric(e, "HH12", n == 2 ? 2 : -1);
                    return;
                }
                break;
            case 'a':
                if (n == 1) {
                    text(e, "AM", 2);
                    return;
                }
                break;
            case 'm':
                if (n <= 2) {
                    numeric(e, "MI", n == 2 ? 2 : -1);
                    return;
                }
                break;
            case 's':
                if (n <= 2) {
                    numeric(e, "SS", n == 2 ? 2 : -1);
                    return;
                }
                break;
            case 'S':
                if (n <= 6) {
                    numeric(e, "FF" + n, n);
                } else {
                    // digits 7 to 9 are zeros in every value the converter accepts: skipped
                    numeric(e, "FF6\"" + "0".repeat(n - 6) + "\"", n);
                }
                return;
            case 'X':
            case 'x':
                if (n == 2 || n == 3) {
                    text(e, n == 2 ? "TZHTZM" : "TZH\":\"TZM", n == 2 ? 5 : 6);
                    return;
                }
                break;
            default:
                throw new IllegalArgumentException(
                        "pattern letter '"
                                + e.letter
                                + "' is not supported (supported: "
                                + SUPPORTED
                                + ")");
        }
        throw new IllegalArgumentException(
                "pattern '" + e.pattern() + "' is not supported (supported: " + SUPPORTED + ")");
    }

    private static void numeric(Element e, String pg, int width) {
        e.pg = pg;
        e.numeric = true;
        e.width = width;
    }

    private static void text(Element e, String pg, int width) {
        e.pg = pg;
        e.width = width;
    }

    /** The field group a letter sets; two fields of one group are refused. */
    private static String group(char letter) {
        switch (letter) {
            case 'y':
            case 'u':
                return "year";
            case 'M':
                return "month";
            case 'd':
                return "day";
            case 'E':
                return "day of the week";
            case 'H':
            case 'h':
                return "hour";
            case 'a':
                return "am-pm";
            case 'm':
                return "minute";
            case 's':
                return "second";
            case 'S':
                return "fraction of second";
            default:
                return "offset"; // X and x; map() refused the others
        }
    }

    /**
     * The width in characters of {@code elements} (the offset counted after the {@code Z} rewrite),
     * which must be fixed for the rewrite of {@code of}; {@code where} is {@code before} or {@code
     * after}.
     */
    private static int width(List<Element> elements, Element of, String where) {
        int width = 0;
        for (Element e : elements) {
            if (e.width < 0) {
                throw new IllegalArgumentException(
                        "pattern '"
                                + of.pattern()
                                + "' needs fixed-width fields "
                                + where
                                + " it, but '"
                                + (e.isField() ? e.pattern() : e.literal)
                                + "' varies in width");
            }
            width += e.width;
        }
        if (width > MAX_REPEAT) {
            throw tooLong(of);
        }
        return width;
    }

    private static IllegalArgumentException tooLong(Element of) {
        return new IllegalArgumentException(
                "the pattern around '"
                        + of.pattern()
                        + "' is longer than "
                        + MAX_REPEAT
                        + " characters");
    }
}
