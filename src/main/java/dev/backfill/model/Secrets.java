package dev.backfill.model;

import org.apache.flink.annotation.Internal;

import java.sql.SQLException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one redaction of secrets in JDBC URLs. Whatever is stored ({@code backfill.reorgs.spec}),
 * logged, printed or put into an exception message passes through {@link #redact(String)}: the
 * value of every secret URL parameter becomes {@code ***} ({@code ?password=***&ssl=true}), and so
 * does the password of a {@code user:password@} part.
 *
 * <p>A secret parameter is one whose name contains {@code password} in any case ({@code password},
 * {@code sslpassword}, the passphrase of the {@code sslkey}), or {@code sslfactoryarg} (which some
 * SSL factories read a secret from). The connection itself still uses the URL as given: only what
 * people and files see is redacted.
 *
 * <pre>{@code
 * Secrets.redact("jdbc:postgresql://h/db?password=s3cret&ssl=true")
 * // "jdbc:postgresql://h/db?password=***&ssl=true"
 * }</pre>
 */
@Internal
public final class Secrets {
    /** What a secret value is replaced with. */
    public static final String MASK = "***";

    /**
     * A secret parameter in a URL's query, in any text: after {@code ?}, {@code &} or {@code ;},
     * the name, {@code =}, and the value up to the next {@code &}, white space or quote. A value
     * that goes on after a space or a quote is cut there; {@code JobSpecParser} reads the redacted
     * spec back and refuses the spec when anything of the secret is left.
     */
    private static final Pattern PARAM =
            Pattern.compile("([?&;])((?i:[a-z_]*password[a-z_]*|sslfactoryarg))=([^&\\s\"']*)");

    /** {@code //user:password@}, the authority's user information, in any text. */
    private static final Pattern USER_INFO = Pattern.compile("(//[^/\\s:@\"']*):([^/\\s@\"']*)@");

    private Secrets() {}

    /** {@code text} with every secret of a JDBC URL in it replaced by {@link #MASK}. */
    public static String redact(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = PARAM.matcher(text);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + m.group(2) + "=" + MASK));
        }
        m.appendTail(sb);
        Matcher u = USER_INFO.matcher(sb.toString());
        sb = new StringBuilder();
        while (u.find()) {
            u.appendReplacement(sb, Matcher.quoteReplacement(u.group(1) + ":" + MASK + "@"));
        }
        u.appendTail(sb);
        return sb.toString();
    }

    /**
     * Whether {@code url} holds a secret that is not {@link #MASK}ed: a secret parameter whose
     * whole value (as the driver reads it: up to the next {@code &}) is not {@code ***}, or a
     * {@code user:password@} part.
     */
    public static boolean holdsSecret(String url) {
        if (url == null) {
            return false;
        }
        int q = url.indexOf('?');
        if (q >= 0) {
            for (String token : url.substring(q + 1).split("&", -1)) {
                int eq = token.indexOf('=');
                if (eq > 0
                        && isSecretName(token.substring(0, eq))
                        && !token.substring(eq + 1).equals(MASK)) {
                    return true;
                }
            }
        }
        Matcher u = USER_INFO.matcher(q >= 0 ? url.substring(0, q) : url);
        return u.find() && !u.group(2).equals(MASK);
    }

    /** Whether a URL parameter of this name holds a secret. */
    public static boolean isSecretName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.contains("password") || n.equals("sslfactoryarg");
    }

    /**
     * {@code e} itself when no message in its chain holds a secret; otherwise a new exception with
     * the same SQLSTATE whose message is the chain's messages, redacted, and without the cause
     * (which holds the secret). For the errors of opening a connection.
     */
    public static SQLException scrub(SQLException e) {
        StringBuilder all = new StringBuilder();
        boolean leaks = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m == null) {
                continue;
            }
            leaks |= !redact(m).equals(m);
            if (all.length() > 0) {
                all.append(": ");
            }
            all.append(m);
        }
        return leaks ? new SQLException(redact(all.toString()), e.getSQLState()) : e;
    }
}
