package dev.backfill.job;

import dev.backfill.db.SingleExpression;
import dev.backfill.model.JobSpec;
import dev.backfill.model.JobSpec.AddIndexSpec;
import dev.backfill.model.JobSpec.DatabaseSpec;
import dev.backfill.model.JobSpec.ModifyColumnSpec;
import dev.backfill.model.JobSpec.ModifyColumnSpec.Cutover;
import dev.backfill.model.JobSpec.TuningSpec;
import dev.backfill.model.Secrets;
import dev.backfill.model.ThrottleSettings;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a job spec YAML file (see the README's spec reference) into a validated {@link JobSpec}.
 *
 * <p>{@code BackfillCli} and the CLI commands call it on the client, before anything touches the
 * database, so that a bad spec fails fast. Every problem is a {@link JobSpecException} whose
 * message names the file, the line and the field, and says what is allowed:
 *
 * <pre>{@code
 * JobSpec spec = JobSpecParser.parse(Path.of("conf/jobs/demo.yaml"));
 * spec.reorgId();             // "demo-orders-email"
 * spec.addIndex().columns();  // [email]
 *
 * JobSpec m = JobSpecParser.parse(Path.of("conf/jobs/demo-modify-column.yaml"));
 * m.modifyColumn().type();    // "bigint"
 *
 * // in tests, with an injected environment instead of System.getenv():
 * JobSpec s = JobSpecParser.parse(yaml, "inline.yaml", Map.of("PGPASSWORD", "secret"));
 * }</pre>
 *
 * <p>It reads the YAML with Jackson's streaming parser into a small tree of maps, lists and scalars
 * that remembers the line of every key and value; data binding would lose the lines. The password
 * comes from {@code password-env} or {@code password-file}; secret parameters of the URL ({@code
 * sslpassword=...}) are accepted, and {@link JobSpec#rawSpec()} (the text as given) holds them
 * {@link Secrets#redact redacted}: a spec whose URL secret cannot be masked in the text is refused.
 *
 * <p>Relative {@code password-file} paths are resolved against the spec file's directory by {@link
 * #parse(Path)}, and against the working directory by {@link #parse(String, String, Map)}.
 */
public final class JobSpecParser {

    /** The field reported for errors about the file as a whole. */
    static final String TOP_LEVEL = "(top level)";

    /** The field reported for YAML syntax errors, which belong to no field. */
    static final String YAML = "(yaml)";

    private static final YAMLFactory YAML_FACTORY = new YAMLFactory();

    private static final Pattern REORG_ID = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final int MAX_REORG_ID_LENGTH = 63;

    /** PostgreSQL's NAMEDATALEN - 1; longer names are silently truncated by the server. */
    private static final int MAX_IDENTIFIER_BYTES = 63;

    // Up to 9 digits keeps every value far from Duration's and long's limits.
    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
    private static final String DURATION_FORMS =
            "a whole number followed by ms, s, m or h, like 500ms, 5s, 2m or 1h";

    private static final Pattern INTEGER_TEXT = Pattern.compile("[+-]?\\d{1,30}");

    /** An {@code @} in the URL's authority: {@code jdbc:postgresql://user:password@host/db}. */
    private static final Pattern URL_USER_INFO = Pattern.compile("^jdbc:postgresql://[^/?]*@");

    private static final String JDBC_PREFIX = "jdbc:postgresql://";

    private static final String ADD_INDEX = "add-index";
    private static final String MODIFY_COLUMN = "modify-column";

    private static final List<String> TOP_KEYS =
            List.of("reorg", "database", "table", ADD_INDEX, MODIFY_COLUMN, "tuning", "verify");
    private static final List<String> DATABASE_KEYS =
            List.of("url", "user", "password-env", "password-file", "demo-rows");
    private static final List<String> ADD_INDEX_KEYS = List.of("name", "columns", "unique");
    private static final List<String> MODIFY_COLUMN_KEYS =
            List.of("column", "type", "using", "converter", "converter-options", "cutover");

    /** The Java converters a modify-column spec may name (issue #4 ships these). */
    static final List<String> CONVERTERS = List.of("integer", "numeric", "timestamptz", "jsonb");

    private static final String ADD_INDEX_FORM =
            "add-index (a map with name, columns and optionally unique)";
    private static final String MODIFY_COLUMN_FORM =
            "modify-column (a map with column, type and optionally using or converter,"
                    + " converter-options, cutover)";
    private static final String TYPE_FORM = "a PostgreSQL type, like bigint or numeric(12,2)";
    private static final String USING_FORM =
            "an SQL expression over the row's columns, like amount::numeric / 100";
    private static final List<String> TUNING_KEYS =
            List.of(
                    "parallelism",
                    "batch-size",
                    "split-rows",
                    "checkpoint-interval",
                    "lock-timeout",
                    "max-rows-per-second",
                    "throttle",
                    "synchronous-commit");
    private static final List<String> THROTTLE_KEYS =
            List.of(
                    "max-latency-ratio",
                    "max-replica-lag",
                    "max-active-sessions",
                    "min-rows-per-second");
    private static final String THROTTLE_FORM =
            "off, on, or a map with the keys " + String.join(", ", THROTTLE_KEYS);
    private static final double MAX_LATENCY_RATIO = 1000;
    private static final int MAX_ACTIVE_SESSIONS = 100_000;
    private static final Pattern DECIMAL_TEXT = Pattern.compile("\\d{1,9}(\\.\\d{1,9})?");

    private static final int MAX_PARALLELISM = 1024;
    private static final int MAX_BATCH_SIZE = 100_000;

    /** Flink rejects checkpoint intervals below 10 ms; say so here, with the line. */
    private static final Duration MIN_CHECKPOINT_INTERVAL = Duration.ofMillis(10);

    /** PostgreSQL's lock_timeout is an int of milliseconds. */
    private static final Duration MAX_LOCK_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

    private final String text;
    private final String fileName;
    private final Map<String, String> env;
    private final Path baseDir; // null: the working directory

    private JobSpecParser(String text, String fileName, Map<String, String> env, Path baseDir) {
        this.text = text;
        this.fileName = fileName;
        this.env = env;
        this.baseDir = baseDir;
    }

    /**
     * Reads and validates the spec in {@code file}, resolving passwords from {@link
     * System#getenv()} and relative {@code password-file} paths against the file's directory.
     *
     * @throws JobSpecException if the file cannot be read or the spec is not valid
     */
    public static JobSpec parse(Path file) {
        String name = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new JobSpecException(
                    name, 0, TOP_LEVEL, "cannot read the spec file: " + describe(e), e);
        }
        Path dir = file.toAbsolutePath().getParent();
        return new JobSpecParser(text, name, System.getenv(), dir).parseSpec();
    }

    /**
     * Validates the spec in {@code text}.
     *
     * @param fileName the name to report in errors and {@link JobSpec#sourceFile()}, e.g. {@code
     *     <inline>}
     * @param env the environment to resolve {@code password-env} and {@code PGUSER} from
     * @throws JobSpecException if the spec is not valid
     */
    public static JobSpec parse(String text, String fileName, Map<String, String> env) {
        return new JobSpecParser(
                        text == null ? "" : text,
                        fileName == null ? "<inline>" : fileName,
                        env == null ? Map.of() : env,
                        null)
                .parseSpec();
    }

    // ---------------------------------------------------------------------------------------
    // Validation: the tree -> JobSpec
    // ---------------------------------------------------------------------------------------

    private JobSpec parseSpec() {
        MapNode root = readTree();
        Section top = new Section("", 1, root, TOP_KEYS);

        String reorgId = null;
        Entry reorg = top.optional("reorg");
        if (reorg != null) {
            reorgId = string(reorg, "an id of 1 to 63 letters, digits, '.', '_' or '-'");
            if (!REORG_ID.matcher(reorgId).matches()) {
                throw error(
                        reorg.keyLine(),
                        reorg.field(),
                        "must be 1 to 63 characters from A-Z, a-z, 0-9, '.', '_' and '-', got "
                                + quote(reorgId));
            }
        }

        DatabaseSpec database = database(top);

        Entry tableEntry = top.required("table", "a table name like schema.table or table");
        List<String> tableParts =
                identifier(
                        tableEntry.keyLine(),
                        tableEntry.field(),
                        string(tableEntry, "a table name like schema.table or table"),
                        2,
                        "schema.table or table");
        String schema = tableParts.size() == 2 ? tableParts.get(0) : null;
        String table = tableParts.get(tableParts.size() - 1);

        JobSpec.Operation operation = operation(top);
        AddIndexSpec addIndex = null;
        ModifyColumnSpec modifyColumn = null;
        String target; // what the default reorg id names: the index or the column
        if (operation == JobSpec.Operation.ADD_INDEX) {
            addIndex = addIndex(top);
            target = addIndex.name();
        } else {
            modifyColumn = modifyColumn(top);
            target = modifyColumn.column();
        }
        TuningSpec tuning = tuning(top);
        JobSpec.Verify verify = verify(top);

        if (reorgId == null) {
            reorgId = defaultReorgId(schema, table, operation, target);
        }
        return new JobSpec(
                        fileName,
                        reorgId,
                        storedText(top, database),
                        database,
                        schema,
                        table,
                        operation,
                        addIndex,
                        modifyColumn,
                        tuning)
                .withVerify(verify);
    }

    /** {@code verify}: strict or repair (the default). */
    private JobSpec.Verify verify(Section top) {
        Entry entry = top.optional("verify");
        if (entry == null) {
            return JobSpec.Verify.REPAIR;
        }
        String value = string(entry, "strict or repair");
        JobSpec.Verify verify = JobSpec.Verify.fromKey(value);
        if (verify == null) {
            throw error(
                    entry.keyLine(),
                    entry.field(),
                    "must be repair (the default: repair what verification finds, count it in"
                            + " backfill.reorgs.rows_repaired, verify again) or strict (fail the"
                            + " reorg instead, naming the first differing keys), got "
                            + quote(value));
        }
        return verify;
    }

    /**
     * The spec text to store in {@code backfill.reorgs.spec} and show: the text with the URL's
     * secrets {@link Secrets#redact redacted}. It is read back, and the spec is refused when its
     * URL still holds a secret there (written with YAML escapes, or a value with a space or quote
     * in it), so that no secret is ever stored.
     */
    private String storedText(Section top, DatabaseSpec database) {
        String stored = Secrets.redact(text);
        if (database.isEmbedded() || !Secrets.holdsSecret(database.url())) {
            return stored;
        }
        String storedUrl = null;
        try {
            MapNode root = new JobSpecParser(stored, fileName, env, baseDir).readTree();
            Entry db = root.entries().get("database");
            if (db != null
                    && db.value() instanceof MapNode m
                    && m.entries().get("url") != null
                    && m.entries().get("url").value() instanceof ScalarNode s) {
                storedUrl = s.text();
            }
        } catch (JobSpecException e) {
            storedUrl = null;
        }
        if (storedUrl == null || Secrets.holdsSecret(storedUrl)) {
            Entry url = top.section(top.entry("database"), DATABASE_KEYS).entry("url");
            throw error(
                    url.keyLine(),
                    url.field(),
                    "holds a secret (a password parameter) that cannot be masked in the stored"
                            + " spec; write it plainly, like ?sslpassword=..., without quotes,"
                            + " spaces or escapes in the value, or give the password with"
                            + " password-env or password-file");
        }
        return stored;
    }

    /** Which operation the spec gives: exactly one of add-index and modify-column. */
    private JobSpec.Operation operation(Section top) {
        Entry add = top.entry(ADD_INDEX);
        Entry modify = top.entry(MODIFY_COLUMN);
        if (add != null && modify != null) {
            Entry second = add.keyLine() > modify.keyLine() ? add : modify;
            Entry first = second == add ? modify : add;
            throw error(
                    second.keyLine(),
                    second.field(),
                    "a spec has exactly one operation, but "
                            + first.key()
                            + " is also given at line "
                            + first.keyLine()
                            + "; write one spec per operation");
        }
        if (add == null && modify == null) {
            throw error(
                    top.line(),
                    TOP_LEVEL,
                    "no operation; a spec needs exactly one operation: "
                            + ADD_INDEX_FORM
                            + " or "
                            + MODIFY_COLUMN_FORM);
        }
        return add != null ? JobSpec.Operation.ADD_INDEX : JobSpec.Operation.MODIFY_COLUMN;
    }

    private DatabaseSpec database(Section top) {
        Section db =
                top.section(
                        top.required(
                                "database",
                                "a map with url and optionally user, password-env, password-file,"
                                        + " demo-rows"),
                        DATABASE_KEYS);

        Entry urlEntry = db.required("url", "embedded or a jdbc:postgresql://host:port/db URL");
        String url = string(urlEntry, "embedded or a jdbc:postgresql://host:port/db URL");
        boolean embedded = DatabaseSpec.EMBEDDED.equals(url);
        // The value is not echoed: a mistyped URL may carry credentials.
        if (!embedded && !url.startsWith(JDBC_PREFIX)) {
            throw error(
                    urlEntry.keyLine(),
                    urlEntry.field(),
                    "must be embedded or a URL starting with "
                            + JDBC_PREFIX
                            + ", like "
                            + JDBC_PREFIX
                            + "localhost:5432/mydb");
        }
        if (!embedded && URL_USER_INFO.matcher(url).find()) {
            // The driver would take user:password@host for a host name, and name it in errors.
            throw error(
                    urlEntry.keyLine(),
                    urlEntry.field(),
                    "holds a user:password@ part, which the PostgreSQL JDBC driver does not"
                            + " support; give the user as user: and the password with"
                            + " password-env (the name of an environment variable) or"
                            + " password-file");
        }

        String user;
        Entry userEntry = db.optional("user");
        if (userEntry != null) {
            user = string(userEntry, "a user name");
        } else {
            String pgUser = env.get("PGUSER");
            user = pgUser == null || pgUser.isEmpty() ? null : pgUser;
        }

        String password = password(db);

        long demoRows = 0;
        Entry demoEntry = db.optional("demo-rows");
        if (demoEntry != null) {
            if (!embedded) {
                throw error(
                        demoEntry.keyLine(),
                        demoEntry.field(),
                        "only applies to url: embedded, which seeds demo.orders; remove it for a"
                                + " jdbc:postgresql:// URL");
            }
            demoRows = integer(demoEntry, 0, Long.MAX_VALUE);
        }
        return new DatabaseSpec(url, user, password, demoRows);
    }

    private String password(Section db) {
        Entry fromEnv = db.optional("password-env");
        Entry fromFile = db.optional("password-file");
        if (fromEnv != null && fromFile != null) {
            Entry second = fromEnv.keyLine() > fromFile.keyLine() ? fromEnv : fromFile;
            Entry first = second == fromEnv ? fromFile : fromEnv;
            throw error(
                    second.keyLine(),
                    second.field(),
                    "give either password-env or password-file, not both ("
                            + first.key()
                            + " is at line "
                            + first.keyLine()
                            + ")");
        }
        if (fromEnv != null) {
            String var = string(fromEnv, "the name of an environment variable, like PGPASSWORD");
            String value = env.get(var);
            if (value == null) {
                throw error(
                        fromEnv.keyLine(),
                        fromEnv.field(),
                        "environment variable " + var + " is not set; set it to the password");
            }
            if (value.isEmpty()) {
                throw error(
                        fromEnv.keyLine(),
                        fromEnv.field(),
                        "environment variable " + var + " is empty; set it to the password");
            }
            return value;
        }
        if (fromFile != null) {
            String pathText = string(fromFile, "the path of a file holding the password");
            Path path;
            try {
                path = Path.of(pathText);
            } catch (InvalidPathException e) {
                throw error(
                        fromFile.keyLine(),
                        fromFile.field(),
                        "not a valid path: " + quote(pathText));
            }
            if (!path.isAbsolute() && baseDir != null) {
                path = baseDir.resolve(path);
            }
            String value;
            try {
                value = Files.readString(path, StandardCharsets.UTF_8);
            } catch (IOException e) {
                // Only the path and the kind of failure: never the content.
                throw new JobSpecException(
                        fileName,
                        fromFile.keyLine(),
                        fromFile.field(),
                        "cannot read password file " + path + " (" + describe(e) + ")",
                        e);
            }
            if (value.endsWith("\r\n")) {
                value = value.substring(0, value.length() - 2);
            } else if (value.endsWith("\n")) {
                value = value.substring(0, value.length() - 1);
            }
            if (value.isEmpty()) {
                throw error(
                        fromFile.keyLine(),
                        fromFile.field(),
                        "password file " + path + " is empty; put the password in it");
            }
            return value;
        }
        return null;
    }

    private AddIndexSpec addIndex(Section top) {
        Entry add = top.entry(ADD_INDEX);
        Section s = top.section(add, ADD_INDEX_KEYS);
        Entry nameEntry = s.required("name", "an index name");
        String name =
                identifier(
                                nameEntry.keyLine(),
                                nameEntry.field(),
                                string(nameEntry, "an index name"),
                                1,
                                "a name without a dot (the index table goes into the table's"
                                        + " schema)")
                        .get(0);

        Entry columnsEntry =
                s.required("columns", "a non-empty list of column names, like [email]");
        if (!(columnsEntry.value() instanceof ListNode list)) {
            throw typeError(columnsEntry, "a list of column names, like [email]");
        }
        if (list.items().isEmpty()) {
            throw error(
                    columnsEntry.keyLine(),
                    columnsEntry.field(),
                    "is empty; give at least one column, like [email]");
        }
        List<String> columns = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < list.items().size(); i++) {
            Node item = list.items().get(i);
            String what = "item " + (i + 1);
            if (!(item instanceof ScalarNode scalar)
                    || scalar.isNull()
                    || scalar.text().isBlank()) {
                throw error(
                        item.line(),
                        columnsEntry.field(),
                        what + ": expected a column name, got " + describe(item));
            }
            String column =
                    identifier(item.line(), columnsEntry.field(), scalar.text(), 1, "a column name")
                            .get(0);
            Integer earlier = seen.putIfAbsent(column, i + 1);
            if (earlier != null) {
                throw error(
                        item.line(),
                        columnsEntry.field(),
                        what
                                + ": column "
                                + quote(column)
                                + " is already listed as item "
                                + earlier
                                + "; list each column once");
            }
            columns.add(column);
        }

        boolean unique = false;
        Entry uniqueEntry = s.optional("unique");
        if (uniqueEntry != null) {
            unique = bool(uniqueEntry);
        }
        return new AddIndexSpec(name, columns, unique);
    }

    private ModifyColumnSpec modifyColumn(Section top) {
        Section s = top.section(top.entry(MODIFY_COLUMN), MODIFY_COLUMN_KEYS);

        Entry columnEntry = s.required("column", "a column name");
        String column =
                identifier(
                                columnEntry.keyLine(),
                                columnEntry.field(),
                                string(columnEntry, "a column name"),
                                1,
                                "a column name")
                        .get(0);

        Entry typeEntry = s.required("type", TYPE_FORM);
        String type = string(typeEntry, TYPE_FORM).strip();
        if (type.indexOf(';') >= 0) {
            throw error(
                    typeEntry.keyLine(),
                    typeEntry.field(),
                    "must not contain ';', got "
                            + quote(type)
                            + "; give only the type, like numeric(12,2)");
        }

        Entry usingEntry = s.optional("using");
        Entry converterEntry = s.optional("converter");
        if (usingEntry != null && converterEntry != null) {
            throw error(
                    converterEntry.keyLine(),
                    converterEntry.field(),
                    "give either using (line "
                            + usingEntry.keyLine()
                            + ") or converter (line "
                            + converterEntry.keyLine()
                            + "), not both: using converts in SQL, converter in Java");
        }
        String using = null;
        if (usingEntry != null) {
            using = string(usingEntry, USING_FORM).strip();
            String problem = SingleExpression.problem(using);
            if (problem != null) {
                throw error(
                        usingEntry.keyLine(),
                        usingEntry.field(),
                        problem + ", got " + quote(using) + "; expected " + USING_FORM);
            }
        }
        String converter = null;
        if (converterEntry != null) {
            converter = string(converterEntry, "a converter: " + String.join(", ", CONVERTERS));
            if (!CONVERTERS.contains(converter)) {
                throw error(
                        converterEntry.keyLine(),
                        converterEntry.field(),
                        "unknown converter "
                                + quote(converter)
                                + "; the converters are "
                                + String.join(", ", CONVERTERS)
                                + " (or give using: with an SQL expression instead)");
            }
        }

        Map<String, String> options = new LinkedHashMap<>();
        Entry optionsEntry = s.optional("converter-options");
        if (optionsEntry != null) {
            if (converter == null) {
                throw error(
                        optionsEntry.keyLine(),
                        optionsEntry.field(),
                        "only applies with converter"
                                + (usingEntry == null
                                        ? ""
                                        : " (the using expression at line "
                                                + usingEntry.keyLine()
                                                + " takes none)")
                                + "; name a converter ("
                                + String.join(", ", CONVERTERS)
                                + ") or remove converter-options");
            }
            String expected = "a map of option names to values, like {format: yyyy-MM-dd}";
            if (!(optionsEntry.value() instanceof MapNode map)) {
                throw typeError(optionsEntry, expected);
            }
            for (Entry option : map.entries().values()) {
                if (option.key().isBlank()) {
                    throw error(
                            option.keyLine(),
                            optionsEntry.field(),
                            "empty option name; expected " + expected);
                }
                options.put(
                        option.key(),
                        string(option, "a value for converter option " + option.key()));
            }
        }

        Cutover cutover = Cutover.AUTO;
        Entry cutoverEntry = s.optional("cutover");
        if (cutoverEntry != null) {
            String value = string(cutoverEntry, "auto or manual");
            cutover = Cutover.fromKey(value);
            if (cutover == null) {
                throw error(
                        cutoverEntry.keyLine(),
                        cutoverEntry.field(),
                        "must be auto (cut over once verified) or manual (wait for"
                                + " scripts/backfill cutover), got "
                                + quote(value));
            }
        }
        return new ModifyColumnSpec(column, type, using, converter, options, cutover);
    }

    private TuningSpec tuning(Section top) {
        Entry tuningEntry = top.optional("tuning");
        if (tuningEntry == null) {
            return TuningSpec.defaults();
        }
        Section s = top.section(tuningEntry, TUNING_KEYS);

        int parallelism = TuningSpec.DEFAULT_PARALLELISM;
        Entry e = s.optional("parallelism");
        if (e != null) {
            parallelism = (int) integer(e, 1, MAX_PARALLELISM);
        }
        int batchSize = TuningSpec.DEFAULT_BATCH_SIZE;
        e = s.optional("batch-size");
        if (e != null) {
            batchSize = (int) integer(e, 1, MAX_BATCH_SIZE);
        }
        long splitRows = TuningSpec.DEFAULT_SPLIT_ROWS;
        e = s.optional("split-rows");
        if (e != null) {
            splitRows = integer(e, 1, Long.MAX_VALUE);
        }
        Duration checkpointInterval = TuningSpec.DEFAULT_CHECKPOINT_INTERVAL;
        e = s.optional("checkpoint-interval");
        if (e != null) {
            checkpointInterval = duration(e, MIN_CHECKPOINT_INTERVAL, null);
        }
        Duration lockTimeout = TuningSpec.DEFAULT_LOCK_TIMEOUT;
        e = s.optional("lock-timeout");
        if (e != null) {
            lockTimeout = duration(e, Duration.ofMillis(1), MAX_LOCK_TIMEOUT);
        }
        long maxRowsPerSecond = 0;
        e = s.optional("max-rows-per-second");
        if (e != null) {
            maxRowsPerSecond = integer(e, 0, Long.MAX_VALUE);
        }
        ThrottleSettings throttle = ThrottleSettings.defaults();
        e = s.optional("throttle");
        if (e != null) {
            throttle = throttle(s, e);
        }
        boolean synchronousCommit = TuningSpec.DEFAULT_SYNCHRONOUS_COMMIT;
        e = s.optional("synchronous-commit");
        if (e != null) {
            synchronousCommit = bool(e);
        }
        return new TuningSpec(
                parallelism,
                batchSize,
                splitRows,
                checkpointInterval,
                lockTimeout,
                maxRowsPerSecond,
                throttle,
                synchronousCommit);
    }

    /** {@code tuning.throttle}: off, on, or a map of settings (the throttle is then on). */
    private ThrottleSettings throttle(Section tuning, Entry e) {
        if (e.value() instanceof ScalarNode sc) {
            String v = sc.text() == null ? "" : sc.text().trim().toLowerCase(Locale.ROOT);
            if (sc.token() == JsonToken.VALUE_FALSE || v.equals("off") || v.equals("false")) {
                return ThrottleSettings.off();
            }
            if (sc.token() == JsonToken.VALUE_TRUE || v.equals("on") || v.equals("true")) {
                return ThrottleSettings.defaults();
            }
            throw error(
                    e.keyLine(),
                    e.field(),
                    "must be " + THROTTLE_FORM + ", got " + describe(e.value()));
        }
        if (!(e.value() instanceof MapNode)) {
            throw typeError(e, THROTTLE_FORM);
        }
        Section t = tuning.section(e, THROTTLE_KEYS);
        double ratio = ThrottleSettings.DEFAULT_MAX_LATENCY_RATIO;
        Entry x = t.optional("max-latency-ratio");
        if (x != null) {
            ratio = ratio(x);
        }
        Duration lag = ThrottleSettings.DEFAULT_MAX_REPLICA_LAG;
        x = t.optional("max-replica-lag");
        if (x != null) {
            lag = duration(x, Duration.ofMillis(1), null);
        }
        int active = ThrottleSettings.DEFAULT_MAX_ACTIVE_SESSIONS;
        x = t.optional("max-active-sessions");
        if (x != null) {
            active = (int) integer(x, 0, MAX_ACTIVE_SESSIONS);
        }
        long min = ThrottleSettings.DEFAULT_MIN_ROWS_PER_SECOND;
        x = t.optional("min-rows-per-second");
        if (x != null) {
            min = integer(x, 1, Long.MAX_VALUE);
        }
        return new ThrottleSettings(true, ratio, lag, active, min);
    }

    /** A latency ratio: a number over 1, at most {@link #MAX_LATENCY_RATIO}, like 2 or 1.5. */
    private double ratio(Entry e) {
        String expected = "a number over 1 and at most 1000, like 2 or 1.5";
        Double value = null;
        if (e.value() instanceof ScalarNode sc
                && !sc.isNull()
                && DECIMAL_TEXT.matcher(sc.text().trim()).matches()) {
            value = Double.parseDouble(sc.text().trim());
        }
        if (value == null) {
            throw typeError(e, expected);
        }
        if (!(value > 1) || value > MAX_LATENCY_RATIO) {
            throw error(e.keyLine(), e.field(), "must be " + expected + ", got " + scalarText(e));
        }
        return value;
    }

    private static String scalarText(Entry e) {
        return ((ScalarNode) e.value()).text().trim();
    }

    /** {@code <table>-<operation>-<index name or column>}, e.g. {@code demo.orders-add-index-x}. */
    private String defaultReorgId(
            String schema, String table, JobSpec.Operation operation, String target) {
        String tableName = schema == null ? table : schema + "." + table;
        String id =
                (tableName + "-" + operation.key() + "-" + target)
                        .replaceAll("[^A-Za-z0-9._-]", "_");
        if (id.length() > MAX_REORG_ID_LENGTH) {
            throw error(
                    1,
                    "reorg",
                    "missing, and the default id "
                            + quote(id)
                            + " is "
                            + id.length()
                            + " characters, over the limit of "
                            + MAX_REORG_ID_LENGTH
                            + "; set reorg: to a shorter id of letters, digits, '.', '_' or '-'");
        }
        return id;
    }

    // ---------------------------------------------------------------------------------------
    // Scalar conversions
    // ---------------------------------------------------------------------------------------

    /** A non-empty string; numbers and booleans are taken as written (a column may be "on"). */
    private String string(Entry e, String expected) {
        if (!(e.value() instanceof ScalarNode s) || s.isNull()) {
            throw typeError(e, expected);
        }
        if (s.text().isBlank()) {
            throw error(e.keyLine(), e.field(), "is empty; expected " + expected);
        }
        return s.text();
    }

    private long integer(Entry e, long min, long max) {
        String range =
                max == Long.MAX_VALUE
                        ? "a whole number of at least " + min
                        : "a whole number from " + min + " to " + max;
        BigInteger value = null;
        if (e.value() instanceof ScalarNode s) {
            if (s.token() == JsonToken.VALUE_NUMBER_INT) {
                value = s.intValue();
            } else if (s.token() == JsonToken.VALUE_STRING
                    && INTEGER_TEXT.matcher(s.text().trim()).matches()) {
                value = new BigInteger(s.text().trim());
            }
        }
        if (value == null) {
            throw typeError(e, range);
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0
                || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw error(e.keyLine(), e.field(), "must be " + range + ", got " + value);
        }
        return value.longValue();
    }

    private boolean bool(Entry e) {
        if (e.value() instanceof ScalarNode s) {
            if (s.token() == JsonToken.VALUE_TRUE) {
                return true;
            }
            if (s.token() == JsonToken.VALUE_FALSE) {
                return false;
            }
            if (s.token() == JsonToken.VALUE_STRING) {
                String v = s.text().trim().toLowerCase(Locale.ROOT);
                if (v.equals("true") || v.equals("false")) {
                    return v.equals("true");
                }
            }
        }
        throw typeError(e, "true or false");
    }

    private Duration duration(Entry e, Duration min, Duration max) {
        Matcher m = null;
        if (e.value() instanceof ScalarNode s && !s.isNull()) {
            m = DURATION.matcher(s.text().trim());
        }
        if (m == null || !m.matches()) {
            throw typeError(e, "a duration: " + DURATION_FORMS);
        }
        long amount = Long.parseLong(m.group(1));
        Duration d;
        switch (m.group(2)) {
            case "ms":
                d = Duration.ofMillis(amount);
                break;
            case "s":
                d = Duration.ofSeconds(amount);
                break;
            case "m":
                d = Duration.ofMinutes(amount);
                break;
            default:
                d = Duration.ofHours(amount);
                break;
        }
        if (d.compareTo(min) < 0) {
            throw error(
                    e.keyLine(),
                    e.field(),
                    "must be at least " + min.toMillis() + "ms, got " + m.group());
        }
        if (max != null && d.compareTo(max) > 0) {
            throw error(
                    e.keyLine(),
                    e.field(),
                    "must be at most " + max.toMillis() + "ms, got " + m.group());
        }
        return d;
    }

    /**
     * Splits a possibly qualified name into its parts: {@code demo.orders}, {@code orders}, {@code
     * "My Schema"."My Table"}. A quoted part loses its quotes and {@code ""} stands for one quote,
     * as in SQL. The parts are kept as written; nothing is case-folded here.
     */
    private List<String> identifier(
            int line, String field, String raw, int maxParts, String expected) {
        List<String> parts = new ArrayList<>();
        int n = raw.length();
        int i = 0;
        while (true) {
            String part;
            if (i < n && raw.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                int open = i++;
                boolean closed = false;
                while (i < n) {
                    char c = raw.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && raw.charAt(i + 1) == '"') {
                            sb.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        closed = true;
                        break;
                    }
                    sb.append(c);
                    i++;
                }
                if (!closed) {
                    throw error(
                            line,
                            field,
                            "the quote at position "
                                    + (open + 1)
                                    + " of "
                                    + quote(raw)
                                    + " is not closed; expected "
                                    + expected);
                }
                if (i < n && raw.charAt(i) != '.') {
                    throw error(
                            line,
                            field,
                            "unexpected text after the closing quote in "
                                    + quote(raw)
                                    + "; expected "
                                    + expected);
                }
                part = sb.toString();
                if (part.isEmpty()) {
                    throw error(
                            line,
                            field,
                            "empty quoted name in " + quote(raw) + "; expected " + expected);
                }
            } else {
                int dot = raw.indexOf('.', i);
                int end = dot < 0 ? n : dot;
                part = raw.substring(i, end);
                i = end;
                if (part.isBlank()) {
                    throw error(
                            line,
                            field,
                            "empty name part in " + quote(raw) + "; expected " + expected);
                }
                if (part.indexOf('"') >= 0) {
                    throw error(
                            line,
                            field,
                            "stray quote in "
                                    + quote(raw)
                                    + "; quote a whole name part, like \"My Table\", and write a"
                                    + " quote inside it as \"\"");
                }
                if (!part.equals(part.strip())) {
                    throw error(
                            line,
                            field,
                            "space around a name in "
                                    + quote(raw)
                                    + "; remove it, or quote the name if the space belongs to it");
                }
            }
            if (part.getBytes(StandardCharsets.UTF_8).length > MAX_IDENTIFIER_BYTES) {
                throw error(
                        line,
                        field,
                        "name "
                                + quote(part)
                                + " is longer than PostgreSQL's limit of "
                                + MAX_IDENTIFIER_BYTES
                                + " bytes");
            }
            parts.add(part);
            if (i >= n) {
                break;
            }
            i++; // the dot
            if (i >= n) {
                throw error(line, field, quote(raw) + " ends with a dot; expected " + expected);
            }
        }
        if (parts.size() > maxParts) {
            throw error(
                    line,
                    field,
                    "expected "
                            + expected
                            + ", got "
                            + quote(raw)
                            + " with "
                            + parts.size()
                            + " dot-separated parts; quote a name that contains a dot, like"
                            + " \"a.b\"");
        }
        return parts;
    }

    // ---------------------------------------------------------------------------------------
    // Reading: YAML text -> a tree with lines
    // ---------------------------------------------------------------------------------------

    private MapNode readTree() {
        String expectedRoot =
                "a YAML map with the keys reorg, database, table, add-index or modify-column,"
                        + " and tuning";
        try (JsonParser p = YAML_FACTORY.createParser(text)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw error(1, TOP_LEVEL, "the spec is empty; expected " + expectedRoot);
            }
            Node root = readValue(p, first, "");
            if (root instanceof ScalarNode s && s.isNull()) {
                throw error(1, TOP_LEVEL, "the spec is empty; expected " + expectedRoot);
            }
            if (!(root instanceof MapNode map)) {
                throw error(
                        root.line(),
                        TOP_LEVEL,
                        "expected " + expectedRoot + ", got " + describe(root));
            }
            if (p.nextToken() != null) {
                throw error(
                        line(p),
                        TOP_LEVEL,
                        "a second YAML document (after ---); a spec file holds one document");
            }
            return map;
        } catch (IOException e) {
            throw syntaxError(e);
        }
    }

    private Node readValue(JsonParser p, JsonToken token, String path) throws IOException {
        int line = line(p);
        String field = path.isEmpty() ? TOP_LEVEL : path;
        if (token == null) {
            throw error(line, YAML, "the YAML ends unexpectedly");
        }
        if (p instanceof YAMLParser yp && yp.isCurrentAlias()) {
            throw error(
                    line,
                    field,
                    "YAML aliases (*" + p.getText() + ") are not supported; write the value out");
        }
        switch (token) {
            case START_OBJECT:
                return readMap(p, path, line);
            case START_ARRAY:
                return readList(p, path, line);
            case VALUE_NUMBER_INT:
                BigInteger value;
                try {
                    value = p.getBigIntegerValue();
                } catch (IOException | NumberFormatException e) {
                    value = null; // reported as "expected a whole number, got ..." if used
                }
                return new ScalarNode(line, token, p.getText(), value);
            case VALUE_STRING:
            case VALUE_NUMBER_FLOAT:
            case VALUE_TRUE:
            case VALUE_FALSE:
            case VALUE_NULL:
                return new ScalarNode(line, token, p.getText(), null);
            default:
                throw error(line, field, "unsupported YAML value (" + token + ")");
        }
    }

    private MapNode readMap(JsonParser p, String path, int line) throws IOException {
        Map<String, Entry> entries = new LinkedHashMap<>();
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_OBJECT) {
            if (token != JsonToken.FIELD_NAME) {
                throw error(line(p), path.isEmpty() ? TOP_LEVEL : path, "expected a key");
            }
            String key = p.currentName();
            int keyLine = line(p);
            String field = path.isEmpty() ? key : path + "." + key;
            Entry earlier = entries.get(key);
            if (earlier != null) {
                throw error(
                        keyLine,
                        field,
                        "duplicate key; it is already given at line "
                                + earlier.keyLine()
                                + "; give each key once");
            }
            Node value = readValue(p, p.nextToken(), field);
            entries.put(key, new Entry(key, field, keyLine, value));
        }
        return new MapNode(line, Collections.unmodifiableMap(entries));
    }

    private ListNode readList(JsonParser p, String path, int line) throws IOException {
        List<Node> items = new ArrayList<>();
        JsonToken token;
        while ((token = p.nextToken()) != JsonToken.END_ARRAY) {
            items.add(readValue(p, token, path));
        }
        return new ListNode(line, List.copyOf(items));
    }

    private JobSpecException syntaxError(IOException e) {
        int line = 0;
        String problem;
        if (e.getCause() instanceof org.yaml.snakeyaml.error.MarkedYAMLException m
                && m.getProblemMark() != null) {
            line = m.getProblemMark().getLine() + 1;
            problem = m.getProblem();
            if (m.getContext() != null) {
                problem =
                        m.getContext()
                                + (m.getContextMark() == null
                                        ? ""
                                        : " (line " + (m.getContextMark().getLine() + 1) + ")")
                                + ": "
                                + problem;
            }
        } else if (e instanceof JsonProcessingException j) {
            line = j.getLocation() == null ? 0 : j.getLocation().getLineNr();
            problem = j.getOriginalMessage();
        } else {
            problem = String.valueOf(e.getMessage());
        }
        // The parser's own exception may quote the URL's line: kept only when it holds no secret.
        String raw = String.valueOf(e.getMessage());
        boolean leaks = !Secrets.redact(raw).equals(raw);
        return new JobSpecException(
                fileName, line, YAML, "not valid YAML: " + problem, leaks ? null : e);
    }

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    private JobSpecException error(int line, String field, String problem) {
        return new JobSpecException(fileName, line, field, problem);
    }

    private JobSpecException typeError(Entry e, String expected) {
        return error(
                e.keyLine(), e.field(), "expected " + expected + ", got " + describe(e.value()));
    }

    private static String describe(Node node) {
        if (node instanceof MapNode) {
            return "a map";
        }
        if (node instanceof ListNode) {
            return "a list";
        }
        ScalarNode s = (ScalarNode) node;
        if (s.isNull()) {
            return "nothing";
        }
        return s.token() == JsonToken.VALUE_STRING ? quote(s.text()) : s.text();
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static String quote(String s) {
        String shown = s.length() > 80 ? s.substring(0, 77) + "..." : s;
        return "\"" + shown + "\"";
    }

    // ---------------------------------------------------------------------------------------
    // The tree
    // ---------------------------------------------------------------------------------------

    private interface Node {
        /** The 1-based line where the node starts. */
        int line();
    }

    private record MapNode(int line, Map<String, Entry> entries) implements Node {}

    private record ListNode(int line, List<Node> items) implements Node {}

    private record ScalarNode(int line, JsonToken token, String text, BigInteger intValue)
            implements Node {
        boolean isNull() {
            return token == JsonToken.VALUE_NULL;
        }
    }

    /** A key and its value; {@code field} is the dotted path, e.g. {@code tuning.batch-size}. */
    private record Entry(String key, String field, int keyLine, Node value) {}

    /** A map being validated: checks its keys, finds entries, reports missing ones. */
    private final class Section {
        private final String path; // "" at the top level
        private final int line; // reported for missing keys
        private final MapNode map;

        Section(String path, int line, MapNode map, List<String> allowed) {
            this.path = path;
            this.line = line;
            this.map = map;
            for (Entry e : map.entries().values()) {
                if (!allowed.contains(e.key())) {
                    throw error(e.keyLine(), e.field(), unknownKey(e.key(), allowed));
                }
            }
        }

        int line() {
            return line;
        }

        /** A nested section; its value must be a map. */
        Section section(Entry e, List<String> allowed) {
            if (!(e.value() instanceof MapNode child)) {
                throw typeError(e, "a map with the keys " + String.join(", ", allowed));
            }
            return new Section(e.field(), e.keyLine(), child, allowed);
        }

        /** The entry for {@code key}, or null when absent; a null value counts as given. */
        Entry entry(String key) {
            return map.entries().get(key);
        }

        /** The entry for {@code key}, or null when absent or empty ({@code key:} or {@code ~}). */
        Entry optional(String key) {
            Entry e = map.entries().get(key);
            return e == null || (e.value() instanceof ScalarNode s && s.isNull()) ? null : e;
        }

        Entry required(String key, String expected) {
            Entry e = map.entries().get(key);
            if (e == null) {
                throw error(line, field(key), "missing; expected " + expected);
            }
            if (e.value() instanceof ScalarNode s && s.isNull()) {
                throw error(e.keyLine(), e.field(), "is empty; expected " + expected);
            }
            return e;
        }

        private String field(String key) {
            return path.isEmpty() ? key : path + "." + key;
        }

        private String unknownKey(String key, List<String> allowed) {
            List<String> shown = allowed;
            String where = path.isEmpty() ? "at the top level" : "in " + path;
            String hint = "";
            String normalized = key.toLowerCase(Locale.ROOT).replace('_', '-');
            if (shown.contains(normalized)) {
                hint = "; did you mean " + normalized + "?";
            } else if (key.equalsIgnoreCase("password")) {
                hint =
                        "; never put a password in the spec: use password-env (the name of an"
                                + " environment variable) or password-file";
            }
            return "unknown key; the keys allowed "
                    + where
                    + " are "
                    + String.join(", ", shown)
                    + hint;
        }
    }
}
