package dev.backfill.job;

import dev.backfill.db.Identifiers;
import dev.backfill.db.SingleExpression;
import dev.backfill.model.JobSpec;
import dev.backfill.model.JobSpec.AddIndexSpec;
import dev.backfill.model.JobSpec.DatabaseSpec;
import dev.backfill.model.JobSpec.ModifyColumnSpec;
import dev.backfill.model.JobSpec.ModifyColumnSpec.Cutover;
import dev.backfill.model.JobSpec.TuningSpec;
import dev.backfill.model.Secrets;
import dev.backfill.model.ThrottleSettings;
import dev.backfill.op.convert.Converters;

import org.apache.flink.util.TimeUtils;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a job spec YAML file (see the README's spec reference) into a validated {@link JobSpec}.
 *
 * <p>{@code BackfillJob} and the CLI commands call it on the client, before anything touches the
 * database, so that a bad spec fails fast. Every problem is a {@link JobSpecException} whose
 * message names the file, the line and the field, and says what is allowed:
 *
 * <pre>{@code
 * JobSpec spec = JobSpecParser.parse(Path.of("conf/jobs/demo.yaml"));
 * spec.reorgId();             // "demo-orders-email"
 * spec.addIndex().columns();  // [email]
 *
 * // in tests, with an injected environment instead of System.getenv():
 * JobSpec s = JobSpecParser.parse(yaml, "inline.yaml", Map.of("PGPASSWORD", "secret"));
 * }</pre>
 *
 * <p>It reads the text twice. A first pass over Jackson's YAML tokens checks the document's shape
 * (one map, no duplicate keys, no aliases) and keeps a small line map: the line of every key, by
 * its dotted path, and how its value reads in an error. Then Jackson databind binds the text into
 * the records below (kebab-case keys; an unknown key fails, and its exception's path names the
 * field); each scalar is bound as a {@link Value}, as written, so that the checks here give the
 * messages the README shows. The password comes from {@code password-env} or {@code password-file};
 * secret parameters of the URL ({@code sslpassword=...}) are accepted, and {@link
 * JobSpec#rawSpec()} (the text as given) holds them {@link Secrets#redact redacted}: a spec whose
 * URL secret cannot be masked in the text is refused.
 *
 * <p>Relative {@code password-file} paths are resolved against the spec file's directory by {@link
 * #parse(Path)}, and against the working directory by {@link #parse(String, String, Map)}.
 */
public final class JobSpecParser {

    /** The field reported for errors about the file as a whole. */
    static final String TOP_LEVEL = "(top level)";

    /** The field reported for YAML syntax errors, which belong to no field. */
    static final String YAML = "(yaml)";

    /** The Java converters a modify-column spec may name: the converter registry's. */
    static final List<String> CONVERTERS = List.copyOf(Converters.names());

    private static final PropertyNamingStrategies.NamingBase KEBAB =
            new PropertyNamingStrategies.KebabCaseStrategy();
    private static final ObjectMapper MAPPER =
            YAMLMapper.builder().propertyNamingStrategy(KEBAB).build();

    private static final Pattern REORG_ID = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final int MAX_REORG_ID_LENGTH = 63;

    // Only these forms (TimeUtils alone would also take "5 sec" or a bare number as milliseconds);
    // up to 9 digits keeps every value far from Duration's and long's limits.
    private static final Pattern DURATION = Pattern.compile("\\d{1,9}(ms|s|m|h)");
    private static final String DURATION_FORMS =
            "a whole number followed by ms, s, m or h, like 500ms, 5s, 2m or 1h";
    private static final Pattern INTEGER_TEXT = Pattern.compile("[+-]?\\d{1,30}");
    private static final Pattern DECIMAL_TEXT = Pattern.compile("\\d{1,9}(\\.\\d{1,9})?");

    /** An {@code @} in the URL's authority: {@code jdbc:postgresql://user:password@host/db}. */
    private static final Pattern URL_USER_INFO = Pattern.compile("^jdbc:postgresql://[^/?]*@");

    private static final String JDBC_PREFIX = "jdbc:postgresql://";
    private static final String ADD_INDEX = "add-index";
    private static final String MODIFY_COLUMN = "modify-column";
    private static final String MC = MODIFY_COLUMN + ".";

    private static final String TABLE_FORM = "a table name like schema.table or table";
    private static final String URL_FORM = "embedded or a jdbc:postgresql://host:port/db URL";
    private static final String TYPE_FORM = "a PostgreSQL type, like bigint or numeric(12,2)";
    private static final String USING_FORM =
            "an SQL expression over the row's columns, like amount::numeric / 100";
    private static final String OPTIONS_FORM =
            "a map of option names to values, like {format: yyyy-MM-dd}";
    private static final String THROTTLE_FORM = "off, on, or " + mapForm(Throttle.class);
    private static final String RATIO_FORM = "a number over 1 and at most 1000, like 2 or 1.5";
    private static final double MAX_LATENCY_RATIO = 1000;
    private static final int MAX_ACTIVE_SESSIONS = 100_000;
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
    private final Map<String, Key> keys = new HashMap<>(); // the line map: dotted path -> key

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
    // The bound records: every key of the spec, in the order error messages list them
    // ---------------------------------------------------------------------------------------

    record Top(
            Value reorg,
            Database database,
            Value table,
            AddIndex addIndex,
            ModifyColumn modifyColumn,
            Tuning tuning,
            Value verify) {}

    record Database(Value url, Value user, Value passwordEnv, Value passwordFile, Value demoRows) {}

    record AddIndex(Value name, Value columns, Value unique) {}

    record ModifyColumn(
            Value column,
            Value type,
            Value using,
            Value converter,
            Value converterOptions,
            Value cutover) {}

    record Tuning(
            Value parallelism,
            Value batchSize,
            Value splitRows,
            Value checkpointInterval,
            Value lockTimeout,
            Value maxRowsPerSecond,
            @JsonDeserialize(using = ThrottleReader.class) Object throttle,
            Value synchronousCommit) {}

    record Throttle(
            Value maxLatencyRatio,
            Value maxReplicaLag,
            Value maxActiveSessions,
            Value minRowsPerSecond) {}

    // ---------------------------------------------------------------------------------------
    // Validation: the records -> JobSpec
    // ---------------------------------------------------------------------------------------

    private JobSpec parseSpec() {
        readLines();
        Top top = bind();

        String reorgId = null;
        if (top.reorg() != null) {
            reorgId =
                    string(
                            "reorg",
                            top.reorg(),
                            "an id of 1 to 63 letters, digits, '.', '_' or '-'");
            if (!REORG_ID.matcher(reorgId).matches()) {
                throw error(
                        "reorg",
                        "must be 1 to 63 characters from A-Z, a-z, 0-9, '.', '_' and '-', got "
                                + quote(reorgId));
            }
        }
        DatabaseSpec database = database(top.database());
        List<String> tableParts =
                identifier(
                        "table",
                        line("table"),
                        requiredString("table", top.table(), TABLE_FORM),
                        2,
                        "schema.table or table");
        String schema = tableParts.size() == 2 ? tableParts.get(0) : null;
        String table = tableParts.get(tableParts.size() - 1);

        JobSpec.Operation operation = operation();
        AddIndexSpec addIndex = null;
        ModifyColumnSpec modifyColumn = null;
        String target; // what the default reorg id names: the index or the column
        if (operation == JobSpec.Operation.ADD_INDEX) {
            addIndex = addIndex(section(ADD_INDEX, top.addIndex(), AddIndex.class));
            target = addIndex.name();
        } else {
            modifyColumn =
                    modifyColumn(section(MODIFY_COLUMN, top.modifyColumn(), ModifyColumn.class));
            target = modifyColumn.column();
        }
        TuningSpec tuning = top.tuning() == null ? TuningSpec.defaults() : tuning(top.tuning());
        JobSpec.Verify verify = verify(top.verify());

        if (reorgId == null) {
            reorgId = defaultReorgId(schema, table, operation, target);
        }
        return new JobSpec(
                        fileName,
                        reorgId,
                        storedText(database),
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
    private JobSpec.Verify verify(Value value) {
        if (value == null) {
            return JobSpec.Verify.REPAIR;
        }
        String text = string("verify", value, "strict or repair");
        JobSpec.Verify verify = JobSpec.Verify.fromKey(text);
        if (verify == null) {
            throw error(
                    "verify",
                    "must be repair (the default: repair what verification finds, count it in"
                            + " backfill.reorgs.rows_repaired, verify again) or strict (fail the"
                            + " reorg instead, naming the first differing keys), got "
                            + quote(text));
        }
        return verify;
    }

    /**
     * The spec text to store in {@code backfill.reorgs.spec} and show: the text with the URL's
     * secrets {@link Secrets#redact redacted}. It is read back, and the spec is refused when its
     * URL still holds a secret there (written with YAML escapes, or a value with a space or quote
     * in it), so that no secret is ever stored.
     */
    private String storedText(DatabaseSpec database) {
        String stored = Secrets.redact(text);
        if (database.isEmbedded() || !Secrets.holdsSecret(database.url())) {
            return stored;
        }
        String storedUrl;
        try {
            storedUrl = MAPPER.readTree(stored).path("database").path("url").textValue();
        } catch (IOException e) {
            storedUrl = null;
        }
        if (storedUrl == null || Secrets.holdsSecret(storedUrl)) {
            throw error(
                    "database.url",
                    "holds a secret (a password parameter) that cannot be masked in the stored"
                            + " spec; write it plainly, like ?sslpassword=..., without quotes,"
                            + " spaces or escapes in the value, or give the password with"
                            + " password-env or password-file");
        }
        return stored;
    }

    /** Which operation the spec gives: exactly one of add-index and modify-column. */
    private JobSpec.Operation operation() {
        Key add = keys.get(ADD_INDEX);
        Key modify = keys.get(MODIFY_COLUMN);
        if (add != null && modify != null) {
            boolean addSecond = add.line() > modify.line();
            throw error(
                    addSecond ? ADD_INDEX : MODIFY_COLUMN,
                    "a spec has exactly one operation, but "
                            + (addSecond ? MODIFY_COLUMN : ADD_INDEX)
                            + " is also given at line "
                            + (addSecond ? modify : add).line()
                            + "; write one spec per operation");
        }
        if (add == null && modify == null) {
            throw error(
                    TOP_LEVEL,
                    "no operation; a spec needs exactly one operation: add-index (a map with name,"
                            + " columns and optionally unique) or modify-column (a map with"
                            + " column, type and optionally using or converter,"
                            + " converter-options, cutover)");
        }
        return add != null ? JobSpec.Operation.ADD_INDEX : JobSpec.Operation.MODIFY_COLUMN;
    }

    private DatabaseSpec database(Database db) {
        required(
                "database",
                db,
                "a map with url and optionally user, password-env, password-file, demo-rows");
        String url = requiredString("database.url", db.url(), URL_FORM);
        boolean embedded = DatabaseSpec.EMBEDDED.equals(url);
        // The value is not echoed: a mistyped URL may carry credentials.
        if (!embedded && !url.startsWith(JDBC_PREFIX)) {
            throw error(
                    "database.url",
                    "must be embedded or a URL starting with "
                            + JDBC_PREFIX
                            + ", like "
                            + JDBC_PREFIX
                            + "localhost:5432/mydb");
        }
        if (!embedded && URL_USER_INFO.matcher(url).find()) {
            // The driver would take user:password@host for a host name, and name it in errors.
            throw error(
                    "database.url",
                    "holds a user:password@ part, which the PostgreSQL JDBC driver does not"
                            + " support; give the user as user: and the password with"
                            + " password-env (the name of an environment variable) or"
                            + " password-file");
        }
        String user;
        if (db.user() != null) {
            user = string("database.user", db.user(), "a user name");
        } else {
            String pgUser = env.get("PGUSER");
            user = pgUser == null || pgUser.isEmpty() ? null : pgUser;
        }
        String password = password(db);
        long demoRows = 0;
        if (db.demoRows() != null) {
            if (!embedded) {
                throw error(
                        "database.demo-rows",
                        "only applies to url: embedded, which seeds demo.orders; remove it for a"
                                + " jdbc:postgresql:// URL");
            }
            demoRows = integer("database.demo-rows", db.demoRows(), 0, Long.MAX_VALUE);
        }
        return new DatabaseSpec(url, user, password, demoRows);
    }

    private String password(Database db) {
        String envField = "database.password-env";
        String fileField = "database.password-file";
        if (db.passwordEnv() != null && db.passwordFile() != null) {
            boolean envSecond = line(envField) > line(fileField);
            throw error(
                    envSecond ? envField : fileField,
                    "give either password-env or password-file, not both ("
                            + (envSecond ? "password-file" : "password-env")
                            + " is at line "
                            + line(envSecond ? fileField : envField)
                            + ")");
        }
        if (db.passwordEnv() != null) {
            String var =
                    string(
                            envField,
                            db.passwordEnv(),
                            "the name of an environment variable, like PGPASSWORD");
            String value = env.get(var);
            if (value == null || value.isEmpty()) {
                throw error(
                        envField,
                        "environment variable "
                                + var
                                + (value == null ? " is not set" : " is empty")
                                + "; set it to the password");
            }
            return value;
        }
        if (db.passwordFile() == null) {
            return null;
        }
        String pathText =
                string(fileField, db.passwordFile(), "the path of a file holding the password");
        Path path;
        try {
            path = Path.of(pathText);
        } catch (InvalidPathException e) {
            throw error(fileField, "not a valid path: " + quote(pathText));
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
                    line(fileField),
                    fileField,
                    "cannot read password file " + path + " (" + describe(e) + ")",
                    e);
        }
        if (value.endsWith("\r\n")) {
            value = value.substring(0, value.length() - 2);
        } else if (value.endsWith("\n")) {
            value = value.substring(0, value.length() - 1);
        }
        if (value.isEmpty()) {
            throw error(fileField, "password file " + path + " is empty; put the password in it");
        }
        return value;
    }

    private AddIndexSpec addIndex(AddIndex a) {
        String name =
                identifier(
                                "add-index.name",
                                line("add-index.name"),
                                requiredString("add-index.name", a.name(), "an index name"),
                                1,
                                "a name without a dot (the index table goes into the table's"
                                        + " schema)")
                        .get(0);

        String field = "add-index.columns";
        Value list = required(field, a.columns(), "a non-empty list of column names, like [email]");
        if (list.token() != JsonToken.START_ARRAY) {
            throw typeError(field, list, "a list of column names, like [email]");
        }
        if (list.items().isEmpty()) {
            throw error(field, "is empty; give at least one column, like [email]");
        }
        List<String> columns = new ArrayList<>();
        for (Value item : list.items()) {
            String what = "item " + (columns.size() + 1);
            if (!item.scalar() || item.text().isBlank()) {
                throw new JobSpecException(
                        fileName,
                        item.line(),
                        field,
                        what + ": expected a column name, got " + item.shown());
            }
            String column = identifier(field, item.line(), item.text(), 1, "a column name").get(0);
            if (columns.contains(column)) {
                throw new JobSpecException(
                        fileName,
                        item.line(),
                        field,
                        what
                                + ": column "
                                + quote(column)
                                + " is already listed as item "
                                + (columns.indexOf(column) + 1)
                                + "; list each column once");
            }
            columns.add(column);
        }
        boolean unique = a.unique() != null && bool("add-index.unique", a.unique());
        return new AddIndexSpec(name, columns, unique);
    }

    private ModifyColumnSpec modifyColumn(ModifyColumn m) {
        String column =
                identifier(
                                MC + "column",
                                line(MC + "column"),
                                requiredString(MC + "column", m.column(), "a column name"),
                                1,
                                "a column name")
                        .get(0);

        String type = requiredString(MC + "type", m.type(), TYPE_FORM).strip();
        if (type.indexOf(';') >= 0) {
            throw error(
                    MC + "type",
                    "must not contain ';', got "
                            + quote(type)
                            + "; give only the type, like numeric(12,2)");
        }
        if (m.using() != null && m.converter() != null) {
            throw error(
                    MC + "converter",
                    "give either using (line "
                            + line(MC + "using")
                            + ") or converter (line "
                            + line(MC + "converter")
                            + "), not both: using converts in SQL, converter in Java");
        }
        String using = null;
        if (m.using() != null) {
            using = string(MC + "using", m.using(), USING_FORM).strip();
            String problem = SingleExpression.problem(using);
            if (problem != null) {
                throw error(
                        MC + "using",
                        problem + ", got " + quote(using) + "; expected " + USING_FORM);
            }
        }
        String converters = String.join(", ", CONVERTERS);
        String converter = null;
        if (m.converter() != null) {
            converter = string(MC + "converter", m.converter(), "a converter: " + converters);
            if (!CONVERTERS.contains(converter)) {
                throw error(
                        MC + "converter",
                        "unknown converter "
                                + quote(converter)
                                + "; the converters are "
                                + converters
                                + " (or give using: with an SQL expression instead)");
            }
        }

        Map<String, String> options = new LinkedHashMap<>();
        String field = MC + "converter-options";
        if (m.converterOptions() != null) {
            if (converter == null) {
                throw error(
                        field,
                        "only applies with converter"
                                + (using == null
                                        ? ""
                                        : " (the using expression at line "
                                                + line(MC + "using")
                                                + " takes none)")
                                + "; name a converter ("
                                + converters
                                + ") or remove converter-options");
            }
            if (m.converterOptions().token() != JsonToken.START_OBJECT) {
                throw typeError(field, m.converterOptions(), OPTIONS_FORM);
            }
            for (Map.Entry<String, Value> option : m.converterOptions().entries().entrySet()) {
                String name = option.getKey();
                if (name.isBlank()) {
                    throw new JobSpecException(
                            fileName,
                            line(field + "." + name),
                            field,
                            "empty option name; expected " + OPTIONS_FORM);
                }
                options.put(
                        name,
                        string(
                                field + "." + name,
                                option.getValue(),
                                "a value for converter option " + name));
            }
        }

        Cutover cutover = Cutover.AUTO;
        if (m.cutover() != null) {
            String value = string(MC + "cutover", m.cutover(), "auto or manual");
            cutover = Cutover.fromKey(value);
            if (cutover == null) {
                throw error(
                        MC + "cutover",
                        "must be auto (cut over once verified) or manual (wait for"
                                + " scripts/backfill cutover), got "
                                + quote(value));
            }
        }
        return new ModifyColumnSpec(column, type, using, converter, options, cutover);
    }

    private TuningSpec tuning(Tuning t) {
        return new TuningSpec(
                t.parallelism() == null
                        ? TuningSpec.DEFAULT_PARALLELISM
                        : (int) integer("tuning.parallelism", t.parallelism(), 1, MAX_PARALLELISM),
                t.batchSize() == null
                        ? TuningSpec.DEFAULT_BATCH_SIZE
                        : (int) integer("tuning.batch-size", t.batchSize(), 1, MAX_BATCH_SIZE),
                t.splitRows() == null
                        ? TuningSpec.DEFAULT_SPLIT_ROWS
                        : integer("tuning.split-rows", t.splitRows(), 1, Long.MAX_VALUE),
                t.checkpointInterval() == null
                        ? TuningSpec.DEFAULT_CHECKPOINT_INTERVAL
                        : duration(
                                "tuning.checkpoint-interval",
                                t.checkpointInterval(),
                                MIN_CHECKPOINT_INTERVAL,
                                null),
                t.lockTimeout() == null
                        ? TuningSpec.DEFAULT_LOCK_TIMEOUT
                        : duration(
                                "tuning.lock-timeout",
                                t.lockTimeout(),
                                Duration.ofMillis(1),
                                MAX_LOCK_TIMEOUT),
                t.maxRowsPerSecond() == null
                        ? 0
                        : integer(
                                "tuning.max-rows-per-second",
                                t.maxRowsPerSecond(),
                                0,
                                Long.MAX_VALUE),
                throttle(t.throttle()),
                t.synchronousCommit() == null
                        ? TuningSpec.DEFAULT_SYNCHRONOUS_COMMIT
                        : bool("tuning.synchronous-commit", t.synchronousCommit()));
    }

    /** {@code tuning.throttle}: off, on, or a map of settings (the throttle is then on). */
    private ThrottleSettings throttle(Object bound) {
        String field = "tuning.throttle.";
        if (bound instanceof Value v) {
            String word = v.scalar() ? v.text().trim().toLowerCase(Locale.ROOT) : "";
            if (v.token() == JsonToken.VALUE_FALSE || word.equals("off") || word.equals("false")) {
                return ThrottleSettings.off();
            }
            if (v.token() == JsonToken.VALUE_TRUE || word.equals("on") || word.equals("true")) {
                return ThrottleSettings.defaults();
            }
            if (!v.scalar()) {
                throw typeError("tuning.throttle", v, THROTTLE_FORM);
            }
            throw error("tuning.throttle", "must be " + THROTTLE_FORM + ", got " + v.shown());
        }
        if (!(bound instanceof Throttle t)) {
            return ThrottleSettings.defaults();
        }
        return new ThrottleSettings(
                true,
                t.maxLatencyRatio() == null
                        ? ThrottleSettings.DEFAULT_MAX_LATENCY_RATIO
                        : ratio(field + "max-latency-ratio", t.maxLatencyRatio()),
                t.maxReplicaLag() == null
                        ? ThrottleSettings.DEFAULT_MAX_REPLICA_LAG
                        : duration(
                                field + "max-replica-lag",
                                t.maxReplicaLag(),
                                Duration.ofMillis(1),
                                null),
                t.maxActiveSessions() == null
                        ? ThrottleSettings.DEFAULT_MAX_ACTIVE_SESSIONS
                        : (int)
                                integer(
                                        field + "max-active-sessions",
                                        t.maxActiveSessions(),
                                        0,
                                        MAX_ACTIVE_SESSIONS),
                t.minRowsPerSecond() == null
                        ? ThrottleSettings.DEFAULT_MIN_ROWS_PER_SECOND
                        : integer(
                                field + "min-rows-per-second",
                                t.minRowsPerSecond(),
                                1,
                                Long.MAX_VALUE));
    }

    /** A latency ratio: a number over 1, at most {@link #MAX_LATENCY_RATIO}, like 2 or 1.5. */
    private double ratio(String field, Value v) {
        if (!v.scalar() || !DECIMAL_TEXT.matcher(v.text().trim()).matches()) {
            throw typeError(field, v, RATIO_FORM);
        }
        double value = Double.parseDouble(v.text().trim());
        if (!(value > 1) || value > MAX_LATENCY_RATIO) {
            throw error(field, "must be " + RATIO_FORM + ", got " + v.text().trim());
        }
        return value;
    }

    /** {@code <table>-<operation>-<index name or column>}, e.g. {@code demo.orders-add-index-x}. */
    private String defaultReorgId(
            String schema, String table, JobSpec.Operation operation, String target) {
        String tableName = schema == null ? table : schema + "." + table;
        String id =
                (tableName + "-" + operation.key() + "-" + target)
                        .replaceAll("[^A-Za-z0-9._-]", "_");
        if (id.length() > MAX_REORG_ID_LENGTH) {
            throw new JobSpecException(
                    fileName,
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
    // Presence and scalar conversions
    // ---------------------------------------------------------------------------------------

    /** A key that must be given: "missing" at its section's line, or "is empty" at its own. */
    private <T> T required(String field, T bound, String expected) {
        if (!keys.containsKey(field)) {
            int dot = field.lastIndexOf('.');
            throw new JobSpecException(
                    fileName,
                    line(dot < 0 ? "" : field.substring(0, dot)),
                    field,
                    "missing; expected " + expected);
        }
        if (bound == null) {
            throw error(field, "is empty; expected " + expected);
        }
        return bound;
    }

    private String requiredString(String field, Value value, String expected) {
        return string(field, required(field, value, expected), expected);
    }

    /** A section that is given (an operation) must be a map; an empty one is refused. */
    private <T extends Record> T section(String field, T bound, Class<T> type) {
        if (bound == null) {
            throw error(field, "expected " + mapForm(type) + ", got nothing");
        }
        return bound;
    }

    /** A non-empty string; numbers and booleans are taken as written (a column may be "on"). */
    private String string(String field, Value v, String expected) {
        if (!v.scalar()) {
            throw typeError(field, v, expected);
        }
        if (v.text().isBlank()) {
            throw error(field, "is empty; expected " + expected);
        }
        return v.text();
    }

    private long integer(String field, Value v, long min, long max) {
        String range =
                max == Long.MAX_VALUE
                        ? "a whole number of at least " + min
                        : "a whole number from " + min + " to " + max;
        BigInteger value = v.number();
        if (v.token() == JsonToken.VALUE_STRING
                && INTEGER_TEXT.matcher(v.text().trim()).matches()) {
            value = new BigInteger(v.text().trim());
        }
        if (value == null) {
            throw typeError(field, v, range);
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0
                || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw error(field, "must be " + range + ", got " + value);
        }
        return value.longValue();
    }

    private boolean bool(String field, Value v) {
        String word =
                v.token() == JsonToken.VALUE_STRING ? v.text().trim().toLowerCase(Locale.ROOT) : "";
        if (v.token() == JsonToken.VALUE_TRUE || word.equals("true")) {
            return true;
        }
        if (v.token() == JsonToken.VALUE_FALSE || word.equals("false")) {
            return false;
        }
        throw typeError(field, v, "true or false");
    }

    /** A duration in today's forms ({@link #DURATION_FORMS}), read by Flink's {@link TimeUtils}. */
    private Duration duration(String field, Value v, Duration min, Duration max) {
        String written = v.scalar() ? v.text().trim() : "";
        if (!DURATION.matcher(written).matches()) {
            throw typeError(field, v, "a duration: " + DURATION_FORMS);
        }
        Duration d = TimeUtils.parseDuration(written);
        if (d.compareTo(min) < 0) {
            throw error(field, "must be at least " + min.toMillis() + "ms, got " + written);
        }
        if (max != null && d.compareTo(max) > 0) {
            throw error(field, "must be at most " + max.toMillis() + "ms, got " + written);
        }
        return d;
    }

    /** A name or qualified name ({@link Identifiers#parse}), its error given the field's line. */
    private List<String> identifier(
            String field, int line, String raw, int maxParts, String expected) {
        try {
            return Identifiers.parse(raw, maxParts, expected);
        } catch (IllegalArgumentException e) {
            throw new JobSpecException(fileName, line, field, e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------
    // Reading: the line map (first pass), then binding (second pass)
    // ---------------------------------------------------------------------------------------

    /** A key of the spec: its line, and how its value reads in an error. */
    private record Key(int line, String shown) {}

    /** The first pass: the document's shape, and the line of every key. */
    private void readLines() {
        String expectedRoot =
                "a YAML map with the keys reorg, database, table, add-index or modify-column,"
                        + " and tuning";
        keys.put("", new Key(1, "a map"));
        try (JsonParser p = MAPPER.getFactory().createParser(text)) {
            JsonToken first = p.nextToken();
            int rootLine = first == null ? 1 : line(p);
            String root = first == null ? "nothing" : walk(p, "");
            if (first == null || first == JsonToken.VALUE_NULL) {
                throw new JobSpecException(
                        fileName, 1, TOP_LEVEL, "the spec is empty; expected " + expectedRoot);
            }
            if (first != JsonToken.START_OBJECT) {
                throw new JobSpecException(
                        fileName,
                        rootLine,
                        TOP_LEVEL,
                        "expected " + expectedRoot + ", got " + root);
            }
            if (p.nextToken() != null) {
                throw new JobSpecException(
                        fileName,
                        line(p),
                        TOP_LEVEL,
                        "a second YAML document (after ---); a spec file holds one document");
            }
        } catch (IOException e) {
            throw syntaxError(e);
        }
    }

    /** Walks the value at the current token, recording its keys; returns how it reads. */
    private String walk(JsonParser p, String path) throws IOException {
        JsonToken token = p.currentToken();
        int line = line(p);
        String field = path.isEmpty() ? TOP_LEVEL : path;
        if (token == null) {
            throw new JobSpecException(fileName, line, YAML, "the YAML ends unexpectedly");
        }
        if (p instanceof YAMLParser yp && yp.isCurrentAlias()) {
            throw new JobSpecException(
                    fileName,
                    line,
                    field,
                    "YAML aliases (*" + p.getText() + ") are not supported; write the value out");
        }
        switch (token) {
            case START_OBJECT:
                Map<String, Integer> seen = new HashMap<>();
                while ((token = p.nextToken()) != JsonToken.END_OBJECT) {
                    if (token != JsonToken.FIELD_NAME) {
                        throw new JobSpecException(fileName, line(p), field, "expected a key");
                    }
                    String key = path.isEmpty() ? p.currentName() : path + "." + p.currentName();
                    Integer earlier = seen.putIfAbsent(p.currentName(), line(p));
                    if (earlier != null) {
                        throw new JobSpecException(
                                fileName,
                                line(p),
                                key,
                                "duplicate key; it is already given at line "
                                        + earlier
                                        + "; give each key once");
                    }
                    int keyLine = line(p);
                    p.nextToken();
                    keys.putIfAbsent(key, new Key(keyLine, walk(p, key)));
                }
                return "a map";
            case START_ARRAY:
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    walk(p, path);
                }
                return "a list";
            case VALUE_STRING:
                return quote(p.getText());
            case VALUE_NULL:
                return "nothing";
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
            case VALUE_TRUE:
            case VALUE_FALSE:
                return p.getText();
            default:
                throw new JobSpecException(
                        fileName, line, field, "unsupported YAML value (" + token + ")");
        }
    }

    /** The second pass: databind; an unknown key or a section that is no map is reported here. */
    private Top bind() {
        try {
            return MAPPER.readValue(text, Top.class);
        } catch (UnrecognizedPropertyException e) {
            String field = path(e);
            String section = field.contains(".") ? field.substring(0, field.lastIndexOf('.')) : "";
            throw error(field, unknownKey(section, e.getPropertyName(), e.getReferringClass()));
        } catch (MismatchedInputException e) {
            String field = path(e);
            Key key = keys.get(field);
            throw error(
                    field,
                    "expected "
                            + mapForm(e.getTargetType())
                            + ", got "
                            + (key == null ? "nothing" : key.shown()));
        } catch (JsonProcessingException e) {
            throw syntaxError(e); // not expected: the first pass read the same text
        }
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(JsonMappingException.Reference::getFieldName)
                .collect(Collectors.joining("."));
    }

    /** The keys of a bound record, in the order they are declared. */
    private static String mapForm(Class<?> type) {
        List<String> names =
                type != null && type.isRecord()
                        ? Arrays.stream(type.getRecordComponents())
                                .map(c -> KEBAB.translate(c.getName()))
                                .toList()
                        : List.of();
        return "a map with the keys " + String.join(", ", names);
    }

    private static String unknownKey(String section, String key, Class<?> type) {
        String allowed = mapForm(type).substring("a map with the keys ".length());
        String where = section.isEmpty() ? "at the top level" : "in " + section;
        String hint = "";
        String normalized = key.toLowerCase(Locale.ROOT).replace('_', '-');
        if (Arrays.asList(allowed.split(", ")).contains(normalized)) {
            hint = "; did you mean " + normalized + "?";
        } else if (key.equalsIgnoreCase("password")) {
            hint =
                    "; never put a password in the spec: use password-env (the name of an"
                            + " environment variable) or password-file";
        }
        return "unknown key; the keys allowed " + where + " are " + allowed + hint;
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

    /** The line of a key, by its dotted path; 1 for the top level. */
    private int line(String field) {
        Key key = keys.get(field);
        return key == null ? 1 : key.line();
    }

    private JobSpecException error(String field, String problem) {
        return new JobSpecException(fileName, line(field), field, problem);
    }

    private JobSpecException typeError(String field, Value v, String expected) {
        return error(field, "expected " + expected + ", got " + v.shown());
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
    // The bound value
    // ---------------------------------------------------------------------------------------

    /**
     * One value of the spec as written: its token and text (a column named {@code on} stays {@code
     * on}, {@code 1_000} keeps its underscore in messages), its line, and a list's items or a map's
     * entries.
     */
    @JsonDeserialize(using = ValueReader.class)
    record Value(
            JsonToken token,
            String text,
            BigInteger number,
            int line,
            List<Value> items,
            Map<String, Value> entries) {

        static Value read(JsonParser p) throws IOException {
            JsonToken token = p.currentToken();
            String text = p.getText();
            int line = JobSpecParser.line(p);
            BigInteger number = null;
            if (token == JsonToken.VALUE_NUMBER_INT) {
                try {
                    number = p.getBigIntegerValue();
                } catch (IOException | NumberFormatException e) {
                    number = null; // reported as "expected a whole number, got ..." if used
                }
            }
            List<Value> items = new ArrayList<>();
            Map<String, Value> entries = new LinkedHashMap<>();
            if (token == JsonToken.START_ARRAY) {
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(read(p));
                }
            } else if (token == JsonToken.START_OBJECT) {
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String key = p.currentName();
                    p.nextToken();
                    entries.put(key, read(p));
                }
            }
            return new Value(token, text, number, line, items, entries);
        }

        /** A scalar that is not null: a string, number or boolean. */
        boolean scalar() {
            return token.isScalarValue() && token != JsonToken.VALUE_NULL;
        }

        /** How an error shows the value: {@code "text"}, {@code 12}, {@code a list}. */
        String shown() {
            switch (token) {
                case START_OBJECT:
                    return "a map";
                case START_ARRAY:
                    return "a list";
                case VALUE_NULL:
                    return "nothing";
                case VALUE_STRING:
                    return quote(text);
                default:
                    return text;
            }
        }
    }

    /** Binds any value of the spec as a {@link Value}. */
    static final class ValueReader extends StdDeserializer<Value> {
        private static final long serialVersionUID = 1L;

        ValueReader() {
            super(Value.class);
        }

        @Override
        public Value deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return Value.read(p);
        }
    }

    /**
     * Binds {@code tuning.throttle}: a map as {@link Throttle}, anything else as a {@link Value}.
     */
    static final class ThrottleReader extends StdDeserializer<Object> {
        private static final long serialVersionUID = 1L;

        ThrottleReader() {
            super(Object.class);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return p.isExpectedStartObjectToken()
                    ? ctxt.readValue(p, Throttle.class)
                    : Value.read(p);
        }
    }
}
