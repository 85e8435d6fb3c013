package dev.backfill.db;

import org.apache.flink.annotation.Internal;

/**
 * Checks that a piece of SQL text written by the operator (a modify-column's {@code using}
 * expression, or its {@code type}) stays one expression wherever it is put into a statement: it
 * holds no {@code ;} outside quotes and comments (the JDBC driver splits a statement's text at each
 * such {@code ;} and runs the parts as separate statements, for a prepared statement too), it
 * closes every parenthesis it opens and none it did not open (so {@code 1) FROM ...} cannot leave
 * the parentheses it is put in), it ends no quote, dollar quote or block comment open, and it holds
 * no {@code ?} outside them (the driver would take it for a parameter of the prepared statement).
 *
 * <p>It reads the text with PostgreSQL's lexical rules: {@code '...'} strings (with {@code ''}),
 * {@code E'...'} strings (with backslash escapes), {@code "..."} identifiers, {@code $tag$...$tag$}
 * dollar quotes, {@code --} line comments and nested {@code /* ... *}{@code /} block comments. A
 * plain string's backslash means itself or escapes the next character depending on the server's
 * {@code standard_conforming_strings}; the text is read both ways and must pass both.
 *
 * <pre>{@code
 * SingleExpression.problem("amount::numeric / 100");          // null: fine
 * SingleExpression.problem("1); DROP TABLE x; SELECT (1");    // "holds ';' outside quotes..."
 * }</pre>
 */
@Internal
public final class SingleExpression {
    private SingleExpression() {}

    /** Why {@code sql} is not a single expression, or null when it is. */
    public static String problem(String sql) {
        String p = problem(sql, true);
        if (p != null) {
            return p;
        }
        p = problem(sql, false);
        return p == null
                ? null
                : p
                        + " when a backslash in a quoted string escapes the next character (as"
                        + " with standard_conforming_strings off); write such a string as"
                        + " E'...' with doubled backslashes";
    }

    private static String problem(String sql, boolean standardStrings) {
        int depth = 0;
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char ch = sql.charAt(i);
            if (ch == '\'') {
                boolean escapes = !standardStrings || isEscapeStringPrefix(sql, i);
                i = endOfString(sql, i + 1, escapes);
                if (i < 0) {
                    return "a quoted string ('...') is not closed";
                }
            } else if (ch == '"') {
                i = endOfString(sql, i + 1, false, '"');
                if (i < 0) {
                    return "a quoted identifier (\"...\") is not closed";
                }
            } else if (ch == '$' && !(i > 0 && isIdentifierPart(sql.charAt(i - 1)))) {
                int tagEnd = dollarTagEnd(sql, i);
                if (tagEnd < 0) {
                    i++; // a parameter like $1, or a lone $: the server judges it
                } else {
                    String tag = sql.substring(i, tagEnd + 1);
                    int close = sql.indexOf(tag, tagEnd + 1);
                    if (close < 0) {
                        return "a dollar-quoted string (" + tag + "...) is not closed";
                    }
                    i = close + tag.length();
                }
            } else if (ch == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
                    i++;
                }
            } else if (ch == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = endOfBlockComment(sql, i + 2);
                if (i < 0) {
                    return "a comment (/* ...) is not closed";
                }
            } else if (ch == ';') {
                return "holds ';' outside quotes and comments, which would end the statement;"
                        + " give one expression";
            } else if (ch == '?') {
                // The batch and the checks run as prepared statements, where the driver takes
                // every ? outside quotes and comments for a parameter.
                return "holds '?' outside quotes and comments, which the JDBC driver takes for a"
                        + " parameter; write jsonb's ? operators as functions, like"
                        + " jsonb_exists(doc, 'key')";
            } else if (ch == '(') {
                depth++;
                i++;
            } else if (ch == ')') {
                if (depth == 0) {
                    return "closes a parenthesis it did not open";
                }
                depth--;
                i++;
            } else {
                i++;
            }
        }
        return depth == 0 ? null : "leaves " + depth + " parenthesis(es) open";
    }

    /** {@code E'}: the quote at {@code quote} starts an escape string. */
    private static boolean isEscapeStringPrefix(String sql, int quote) {
        if (quote == 0) {
            return false;
        }
        char e = sql.charAt(quote - 1);
        return (e == 'E' || e == 'e') && !(quote >= 2 && isIdentifierPart(sql.charAt(quote - 2)));
    }

    private static int endOfString(String sql, int from, boolean backslashEscapes) {
        return endOfString(sql, from, backslashEscapes, '\'');
    }

    /** The index after the closing quote, or -1 when the string is not closed. */
    private static int endOfString(String sql, int from, boolean backslashEscapes, char quote) {
        int i = from;
        while (i < sql.length()) {
            char ch = sql.charAt(i);
            if (backslashEscapes && ch == '\\') {
                i += 2;
            } else if (ch == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return -1;
    }

    /** The index of the closing {@code $} of a dollar-quote tag at {@code start}, or -1. */
    private static int dollarTagEnd(String sql, int start) {
        int i = start + 1;
        if (i < sql.length() && sql.charAt(i) == '$') {
            return i;
        }
        if (i >= sql.length() || !isIdentifierStart(sql.charAt(i))) {
            return -1;
        }
        i++;
        while (i < sql.length() && isIdentifierPart(sql.charAt(i)) && sql.charAt(i) != '$') {
            i++;
        }
        return i < sql.length() && sql.charAt(i) == '$' ? i : -1;
    }

    /** The index after the comment's end ({@code /*} comments nest), or -1. */
    private static int endOfBlockComment(String sql, int from) {
        int level = 1;
        int i = from;
        while (i + 1 < sql.length()) {
            if (sql.charAt(i) == '/' && sql.charAt(i + 1) == '*') {
                level++;
                i += 2;
            } else if (sql.charAt(i) == '*' && sql.charAt(i + 1) == '/') {
                level--;
                i += 2;
                if (level == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return -1;
    }

    private static boolean isIdentifierStart(char c) {
        return Character.isLetter(c) || c == '_' || c >= 0x80;
    }

    private static boolean isIdentifierPart(char c) {
        return isIdentifierStart(c) || Character.isDigit(c) || c == '$';
    }
}
