package dev.backfill.job;

import dev.backfill.model.Secrets;

import org.apache.flink.annotation.Internal;

/**
 * A job spec that cannot be used: a YAML syntax error, an unknown or missing key, a value of the
 * wrong type or out of range, or a password that cannot be resolved.
 *
 * <p>{@link JobSpecParser} throws it on the client, before anything touches the database; {@code
 * BackfillCli} and the CLI commands print {@link #getMessage()} as it is and exit. The message
 * always has the form {@code <file>:<line>: <field>: <what is wrong and what is allowed>}, e.g.
 *
 * <pre>
 * conf/jobs/demo.yaml:21: tuning.batch-size: must be a whole number from 1 to 100000, got 0
 * </pre>
 *
 * <p>The line is left out ({@code <file>: <field>: ...}) when it is not known. The field is a
 * dotted path such as {@code add-index.columns}; errors about the file as a whole use {@code (top
 * level)} or, for YAML syntax errors, {@code (yaml)}. The message never holds a password.
 */
@Internal
public class JobSpecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String field;
    private final String problem;

    /**
     * @param file the spec file as the user named it, e.g. {@code conf/jobs/demo.yaml}
     * @param line the 1-based line, or 0 when unknown
     * @param field the dotted path of the field, e.g. {@code tuning.batch-size}
     * @param problem what is wrong and what is allowed
     */
    public JobSpecException(String file, int line, String field, String problem) {
        this(file, line, field, problem, null);
    }

    public JobSpecException(String file, int line, String field, String problem, Throwable cause) {
        super(format(file, line, field, problem), cause);
        this.file = file;
        this.line = Math.max(line, 0);
        this.field = field;
        this.problem = Secrets.redact(problem);
    }

    // Redacted: a YAML error may quote the line of the URL.
    private static String format(String file, int line, String field, String problem) {
        return Secrets.redact(file + (line > 0 ? ":" + line : "") + ": " + field + ": " + problem);
    }

    /** The spec file as the user named it. */
    public String file() {
        return file;
    }

    /** The 1-based line the problem is on, or 0 when unknown. */
    public int line() {
        return line;
    }

    /** The dotted path of the offending field, e.g. {@code add-index.columns}. */
    public String field() {
        return field;
    }

    /** The message without its {@code <file>:<line>: <field>: } prefix. */
    public String problem() {
        return problem;
    }
}
