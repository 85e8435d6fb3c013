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

import org.apache.flink.annotation.Internal;
import org.apache.flink.util.TimeUtils;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
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
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.apache.flink.util.Preconditions.checkArgument;

/**
 * Reads a job spec YAML file (see the README's spec reference) into a validated {@link JobSpec}.
 *
 * <p>{@code BackfillCli} and the CLI commands call it on the client, before anything touches the
 * database, so that a bad spec fails fast. Every problem is a {@link JobSpecException} whose
 * message names the file, the line and the field, and says what is allowed:
 *
 * <pre>{@code
 * JobSpec spec = JobSpecParser.parse(Path.of("conf/jobs/demo.yaml"));
 * spec.reorgId();    // "demo-orders-email"
 * spec.operation();  // ADD_INDEX
 *
 * // in tests, with an injected environment instead of System.getenv():
 * JobSpec s = JobSpecParser.parse(yaml, "inline.yaml", Map.of("PGPASSWORD", "secret"));
 * }</pre>
 *
 * <p>It reads the text twice. A first pass over Jackson's YAML tokens checks the document's shape
 * (one map, no duplicate keys, no aliases) and reads every value as written into a {@link Value}
 * with the line its errors name (its key's): the small line map, by dotted path. Then Jackson
 * databind binds the text into the records below (kebab-case keys; an unknown key, or a section
 * that is not a map, fails there, and the exception's path names the field), each scalar bound to
 * the value the first pass read for it. Converter names come from {@link Converters}, durations are
 * read by Flink's {@link TimeUtils}, names by {@link Identifiers#parse}. The password comes from
 * {@code password-env} or {@code password-file}; secret parameters of the URL ({@code
 * sslpassword=...}) are accepted, and {@link JobSpec#rawSpec()} (the text as given) holds them
 * {@link Secrets#redact redacted}: a spec whose URL secret cannot be masked in the text is refused.
 *
 * <p>Relative {@code password-file} paths are resolved against the spec file's directory by {@link
 * #parse(Path)}, and against the working directory by {@link #parse(String, String, Map)}.
 */
@Internal
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

    /** The tokens a spec's value may be: no embedded objects ({@code !!binary}). */
    private static final Set<JsonToken> VALUE_TOKENS =
            EnumSet.of(
                    JsonToken.START_OBJECT,
                    JsonToken.START_ARRAY,
                    JsonToken.VALUE_STRING,
                    JsonToken.VALUE_NUMBER_INT,
                    JsonToken.VALUE_NUMBER_FLOAT,
                    JsonToken.VALUE_TRUE,
                    JsonToken.VALUE_FALSE,
                    JsonToken.VALUE_NULL);

    private static final Pattern REORG_ID = Pattern.compile("[A-Za-z0-9._-]{1,63}");
    private static final int MAX_REORG_ID_LENGTH = 63;

    // Only these forms: TimeUtils alone would also take "5 sec", or "30" as milliseconds. Up to 9
    // digits keeps every value far from Duration's and long's limits.
    private static final Pattern DURATION = Pattern.compile("\\d{1,9}(ms|s|m|h)");
    private static final Pattern INTEGER_TEXT = Pattern.compile("[+-]?\\d{1,30}");
    private static final Pattern DECIMAL_TEXT = Pattern.compile("\\d{1,9}(\\.\\d{1,9})?");

    /** An {@code @} in the URL's authority: {@code jdbc:postgresql://user:password@host/db}. */
    private static final Pattern URL_USER_INFO = Pattern.compile("^jdbc:postgresql://[^/?]*@");

    private static final String JDBC_PREFIX = "jdbc:postgresql://";
    private static final String TABLE_FORM = "a table name like schema.table or table";
    private static final String USING_FORM =
            "an SQL expression over the row's columns, like amount::numeric / 100";
    private static final String OPTIONS_FORM =
            "a map of option names to values, like {format: yyyy-MM-dd}";
    private static final String THROTTLE_FORM = "off, on, or " + mapForm(Throttle.class);
    private static final String RATIO_FORM = "a number over 1 and at most 1000, like 2 or 1.5";

    /** Flink rejects checkpoint intervals below 10 ms; say so here, with the line. */
    private static final Duration MIN_CHECKPOINT_INTERVAL = Duration.ofMillis(10);

    /** PostgreSQL's lock_timeout is an int of milliseconds. */
    private static final Duration MAX_LOCK_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

    private final String text;
    private final String fileName;
    private final Map<String, String> env;
    private final Path baseDir; // null: the working directory
    private final Map<String, Value> keys = new HashMap<>(); // the line map: by dotted path

    /**
     * The operation sections, one line per operation: how the section under the operation's key is
     * read. A new operation adds its line here (and its key to {@link Top}).
     */
    private final Map<JobSpec.Operation, Function<Top, OperationSection>> sections =
            new EnumMap<>(
                    Map.of(
                            JobSpec.Operation.ADD_INDEX,
                            top ->
                                    OperationSection.of(
                                            addIndex(section("add-index", top.addIndex()))),
                            JobSpec.Operation.MODIFY_COLUMN,
                            top ->
                                    OperationSection.of(
                                            modifyColumn(
                                                    section(
                                                            "modify-column",
                                                            top.modifyColumn())))));

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
            reorgId = string(top.reorg(), "an id of 1 to 63 letters, digits, '.', '_' or '-'");
            if (!REORG_ID.matcher(reorgId).matches()) {
                throw error(
                        top.reorg(),
                        "must be 1 to 63 characters from A-Z, a-z, 0-9, '.', '_' and '-', got "
                                + quote(reorgId));
            }
        }
        DatabaseSpec database = database(top.database());
        Value tableValue = required("table", top.table(), TABLE_FORM);
        List<String> table =
                identifier(tableValue, string(tableValue, TABLE_FORM), 2, "schema.table or table");
        String schema = table.size() == 2 ? table.get(0) : null;
        String tableName = table.get(table.size() - 1);

        JobSpec.Operation operation = operation();
        OperationSection section = sections.get(operation).apply(top);
        Tuning noTuning = new Tuning(null, null, null, null, null, null, null, null);
        TuningSpec tuning =
                tuning(top.tuning() == null ? noTuning : top.tuning(), TuningSpec.defaults());
        JobSpec.Verify verify = verify(top.verify());
        if (reorgId == null) {
            reorgId = defaultReorgId(schema, tableName, operation, section.target());
        }
        return new JobSpec(
                        fileName,
                        reorgId,
                        storedText(database),
                        database,
                        schema,
                        tableName,
                        section.part(),
                        tuning)
                .withVerify(verify);
    }

    /** {@code verify}: strict or repair (the default). */
    private JobSpec.Verify verify(Value value) {
        if (value == null) {
            return JobSpec.Verify.REPAIR;
        }
        String text = string(value, "strict or repair");
        JobSpec.Verify verify = JobSpec.Verify.fromKey(text);
        if (verify == null) {
            throw error(
                    value,
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

    /**
     * An operation's section read: the spec's part of that operation, and the target that names a
     * default reorg id.
     */
    private record OperationSection(JobSpec.OperationSpec part, String target) {
        static OperationSection of(AddIndexSpec a) {
            return new OperationSection(a, a.name());
        }

        static OperationSection of(ModifyColumnSpec m) {
            return new OperationSection(m, m.column());
        }
    }

    /**
     * Which operation the spec gives: exactly one of the operation sections (add-index and
     * modify-column).
     */
    private JobSpec.Operation operation() {
        // The sections given, in the order of their lines (on one line, in the enum's order).
        List<JobSpec.Operation> given =
                Arrays.stream(JobSpec.Operation.values())
                        .filter(o -> keys.get(o.key()) != null)
                        .sorted(Comparator.comparingInt(o -> keys.get(o.key()).line()))
                        .toList();
        if (given.size() > 1) {
            JobSpec.Operation first = given.get(0);
            String problem =
                    "a spec has exactly one operation, but %s is also given at line %d;"
                            + " write one spec per operation";
            throw error(
                    given.get(1).key(),
                    problem.formatted(first.key(), keys.get(first.key()).line()));
        }
        if (given.isEmpty()) {
            throw error(
                    TOP_LEVEL,
                    "no operation; a spec needs exactly one operation: add-index (a map with name,"
                            + " columns and optionally unique) or modify-column (a map with"
                            + " column, type and optionally using or converter,"
                            + " converter-options, cutover)");
        }
        return given.get(0);
    }

    private DatabaseSpec database(Database db) {
        required(
                "database",
                db,
                "a map with url and optionally user, password-env, password-file, demo-rows");
        String urlForm = "embedded or a jdbc:postgresql://host:port/db URL";
        Value urlValue = required("database.url", db.url(), urlForm);
        String url = string(urlValue, urlForm);
        boolean embedded = DatabaseSpec.EMBEDDED.equals(url);
        // The value is not echoed: a mistyped URL may carry credentials.
        if (!embedded && !url.startsWith(JDBC_PREFIX)) {
            throw error(
                    urlValue,
                    "must be embedded or a URL starting with jdbc:postgresql://, like"
                            + " jdbc:postgresql://localhost:5432/mydb");
        }
        if (!embedded && URL_USER_INFO.matcher(url).find()) {
            // The driver would take user:password@host for a host name, and name it in errors.
            throw error(
                    urlValue,
                    "holds a user:password@ part, which the PostgreSQL JDBC driver does not"
                            + " support; give the user as user: and the password with"
                            + " password-env (the name of an environment variable) or"
                            + " password-file");
        }
        String user = db.user() == null ? env.get("PGUSER") : string(db.user(), "a user name");
        String password = password(db.passwordEnv(), db.passwordFile());
        if (db.demoRows() != null && !embedded) {
            throw error(
                    db.demoRows(),
                    "only applies to url: embedded, which seeds demo.orders; remove it for a"
                            + " jdbc:postgresql:// URL");
        }
        long demoRows = integer(db.demoRows(), 0, Long.MAX_VALUE, 0);
        return new DatabaseSpec(url, "".equals(user) ? null : user, password, demoRows);
    }

    private String password(Value fromEnv, Value fromFile) {
        if (fromEnv != null && fromFile != null) {
            Value first = fromEnv.line() < fromFile.line() ? fromEnv : fromFile;
            String problem =
                    "give either password-env or password-file, not both (%s is at line %d)";
            throw error(
                    first == fromEnv ? fromFile : fromEnv,
                    problem.formatted(first.key(), first.line()));
        }
        if (fromEnv != null) {
            String var = string(fromEnv, "the name of an environment variable, like PGPASSWORD");
            String value = env.get(var);
            if (value == null || value.isEmpty()) {
                String problem = "environment variable %s is %s; set it to the password";
                throw error(fromEnv, problem.formatted(var, value == null ? "not set" : "empty"));
            }
            return value;
        }
        if (fromFile == null) {
            return null;
        }
        String pathText = string(fromFile, "the path of a file holding the password");
        Path path;
        String value;
        try {
            path = Path.of(pathText);
        } catch (InvalidPathException e) {
            throw error(fromFile, "not a valid path: " + quote(pathText));
        }
        path = path.isAbsolute() || baseDir == null ? path : baseDir.resolve(path);
        try {
            value = Files.readString(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // Only the path and the kind of failure: never the content.
            String problem = "cannot read password file " + path + " (" + describe(e) + ")";
            throw new JobSpecException(fileName, fromFile.line(), fromFile.field(), problem, e);
        }
        int newline = value.endsWith("\r\n") ? 2 : value.endsWith("\n") ? 1 : 0;
        value = value.substring(0, value.length() - newline);
        if (value.isEmpty()) {
            throw error(fromFile, "password file " + path + " is empty; put the password in it");
        }
        return value;
    }

    private AddIndexSpec addIndex(AddIndex a) {
        Value nameValue = required("add-index.name", a.name(), "an index name");
        String name =
                identifier(
                                nameValue,
                                string(nameValue, "an index name"),
                                1,
                                "a name without a dot (the index table goes into the table's"
                                        + " schema)")
                        .get(0);
        Value list =
                required(
                        "add-index.columns",
                        a.columns(),
                        "a non-empty list of column names, like [email]");
        if (list.token() != JsonToken.START_ARRAY) {
            throw typeError(list, "a list of column names, like [email]");
        }
        if (list.items().isEmpty()) {
            throw error(list, "is empty; give at least one column, like [email]");
        }
        List<String> columns = new ArrayList<>();
        for (Value item : list.items()) {
            String what = "item " + (columns.size() + 1) + ": ";
            if (!item.scalar() || item.text().isBlank()) {
                throw error(item, what + "expected a column name, got " + item.shown());
            }
            String column = identifier(item, item.text(), 1, "a column name").get(0);
            if (columns.contains(column)) {
                String problem = "column %s is already listed as item %d; list each column once";
                throw error(
                        item, what + problem.formatted(quote(column), columns.indexOf(column) + 1));
            }
            columns.add(column);
        }
        return new AddIndexSpec(name, columns, bool(a.unique(), false));
    }

    private ModifyColumnSpec modifyColumn(ModifyColumn m) {
        Value columnValue = required("modify-column.column", m.column(), "a column name");
        String column =
                identifier(columnValue, string(columnValue, "a column name"), 1, "a column name")
                        .get(0);
        String typeForm = "a PostgreSQL type, like bigint or numeric(12,2)";
        Value typeValue = required("modify-column.type", m.type(), typeForm);
        String type = string(typeValue, typeForm).strip();
        if (type.indexOf(';') >= 0) {
            throw error(
                    typeValue,
                    "must not contain ';', got "
                            + quote(type)
                            + "; give only the type, like numeric(12,2)");
        }
        if (m.using() != null && m.converter() != null) {
            String problem =
                    "give either using (line %d) or converter (line %d), not both: using"
                            + " converts in SQL, converter in Java";
            throw error(m.converter(), problem.formatted(m.using().line(), m.converter().line()));
        }
        String using = m.using() == null ? null : string(m.using(), USING_FORM).strip();
        String notOne = using == null ? null : SingleExpression.problem(using);
        if (notOne != null) {
            throw error(m.using(), notOne + ", got " + quote(using) + "; expected " + USING_FORM);
        }
        String converters = String.join(", ", CONVERTERS);
        String converter =
                m.converter() == null ? null : string(m.converter(), "a converter: " + converters);
        if (converter != null && !CONVERTERS.contains(converter)) {
            String problem =
                    "unknown converter %s; the converters are %s (or give using: with an"
                            + " SQL expression instead)";
            throw error(m.converter(), problem.formatted(quote(converter), converters));
        }
        Map<String, String> options = new LinkedHashMap<>();
        Value optionsValue = m.converterOptions();
        if (optionsValue != null && converter == null) {
            String takesNone =
                    using == null
                            ? ""
                            : " (the using expression at line %d takes none)"
                                    .formatted(m.using().line());
            String problem =
                    "only applies with converter%s; name a converter (%s) or remove"
                            + " converter-options";
            throw error(optionsValue, problem.formatted(takesNone, converters));
        }
        if (optionsValue != null && optionsValue.token() != JsonToken.START_OBJECT) {
            throw typeError(optionsValue, OPTIONS_FORM);
        }
        for (Value option : optionsValue == null ? List.<Value>of() : optionsValue.items()) {
            if (option.key().isBlank()) {
                throw new JobSpecException(
                        fileName,
                        option.line(),
                        optionsValue.field(),
                        "empty option name; expected " + OPTIONS_FORM);
            }
            options.put(
                    option.key(), string(option, "a value for converter option " + option.key()));
        }
        Cutover cutover = Cutover.AUTO;
        if (m.cutover() != null) {
            String value = string(m.cutover(), "auto or manual");
            cutover = Cutover.fromKey(value);
            if (cutover == null) {
                throw error(
                        m.cutover(),
                        "must be auto (cut over once verified) or manual (wait for"
                                + " scripts/backfill cutover), got "
                                + quote(value));
            }
        }
        return new ModifyColumnSpec(column, type, using, converter, options, cutover);
    }

    /** {@code tuning}: each field given, else {@code absent}'s (the defaults for a spec). */
    private TuningSpec tuning(Tuning t, TuningSpec absent) {
        return new TuningSpec(
                (int) integer(t.parallelism(), 1, 1024, absent.parallelism()),
                (int) integer(t.batchSize(), 1, 100_000, absent.batchSize()),
                integer(t.splitRows(), 1, Long.MAX_VALUE, absent.splitRows()),
                duration(
                        t.checkpointInterval(),
                        MIN_CHECKPOINT_INTERVAL,
                        null,
                        absent.checkpointInterval()),
                duration(
                        t.lockTimeout(),
                        Duration.ofMillis(1),
                        MAX_LOCK_TIMEOUT,
                        absent.lockTimeout()),
                integer(t.maxRowsPerSecond(), 0, Long.MAX_VALUE, absent.maxRowsPerSecond()),
                throttle(t.throttle(), absent.throttle()),
                bool(t.synchronousCommit(), absent.synchronousCommit()));
    }

    /**
     * {@code tuning.throttle}: off, on, or a map of settings (the throttle is then on, each setting
     * not given {@code absent}'s); {@code absent} when not given.
     */
    private ThrottleSettings throttle(Object bound, ThrottleSettings absent) {
        if (bound instanceof Value v) {
            return throttleSwitch(v, THROTTLE_FORM)
                    ? ThrottleSettings.defaults()
                    : ThrottleSettings.off();
        }
        if (!(bound instanceof Throttle t)) {
            return absent;
        }
        return new ThrottleSettings(
                true,
                t.maxLatencyRatio() == null ? absent.maxLatencyRatio() : ratio(t.maxLatencyRatio()),
                duration(t.maxReplicaLag(), Duration.ofMillis(1), null, absent.maxReplicaLag()),
                (int) integer(t.maxActiveSessions(), 0, 100_000, absent.maxActiveSessions()),
                integer(t.minRowsPerSecond(), 1, Long.MAX_VALUE, absent.minRowsPerSecond()));
    }

    /** The throttle's switch: on (or true) or off (or false); else an error naming {@code form}. */
    private boolean throttleSwitch(Value v, String form) {
        String word = v.scalar() ? v.text().trim().toLowerCase(Locale.ROOT) : "";
        if (v.token() == JsonToken.VALUE_FALSE || word.equals("off") || word.equals("false")) {
            return false;
        }
        if (v.token() == JsonToken.VALUE_TRUE || word.equals("on") || word.equals("true")) {
            return true;
        }
        throw v.scalar() ? error(v, "must be " + form + ", got " + v.shown()) : typeError(v, form);
    }

    // ---------------------------------------------------------------------------------------
    // Tuning given outside the spec (BackfillOptions)
    // ---------------------------------------------------------------------------------------

    /** The field of {@code tuning.throttle}'s switch (on or off) among {@link #tuningFields()}. */
    static final String THROTTLE_SWITCH = "throttle";

    /**
     * A tuning value given outside the spec, as text: its field under {@code tuning} (one of {@link
     * #tuningFields()}, e.g. {@code batch-size} or {@code throttle.max-latency-ratio}), the name an
     * error gives it (e.g. {@code backfill.tuning.batch-size}) and its text.
     */
    record TuningText(String field, String name, String text) {}

    /**
     * The fields of {@code tuning} a value can be given for: each scalar key, {@link
     * #THROTTLE_SWITCH} (on or off) and each key of the throttle's map as {@code throttle.<key>}.
     */
    static List<String> tuningFields() {
        List<String> fields = new ArrayList<>();
        for (String key : mapKeys(Tuning.class)) {
            if (key.equals(THROTTLE_SWITCH)) {
                fields.add(THROTTLE_SWITCH);
                mapKeys(Throttle.class).forEach(k -> fields.add(THROTTLE_SWITCH + "." + k));
            } else {
                fields.add(key);
            }
        }
        return fields;
    }

    /**
     * {@code tuning} with the {@code given} fields read over it, each by the same rules as in a
     * spec. The throttle's settings replace {@code tuning}'s one by one; only {@link
     * #THROTTLE_SWITCH} turns it on or off.
     *
     * @param origin where the values come from, named first in errors as a spec's file is: {@code
     *     <origin>: <name>: <problem>}
     * @throws JobSpecException naming the origin, the value's name and the value
     */
    static TuningSpec tuning(TuningSpec tuning, List<TuningText> given, String origin) {
        return new JobSpecParser("", origin, Map.of(), null).override(tuning, given);
    }

    private TuningSpec override(TuningSpec tuning, List<TuningText> given) {
        Map<String, Value> v = new HashMap<>();
        for (TuningText t : given) {
            checkArgument(tuningFields().contains(t.field()), "not a tuning field: %s", t.field());
            v.put(
                    t.field(),
                    new Value(
                            t.name(),
                            t.field(),
                            0,
                            JsonToken.VALUE_STRING,
                            t.text(),
                            null,
                            List.of()));
        }
        String in = THROTTLE_SWITCH + ".";
        Throttle settings =
                new Throttle(
                        v.get(in + "max-latency-ratio"),
                        v.get(in + "max-replica-lag"),
                        v.get(in + "max-active-sessions"),
                        v.get(in + "min-rows-per-second"));
        boolean anySetting = v.keySet().stream().anyMatch(f -> f.startsWith(in));
        TuningSpec read =
                tuning(
                        new Tuning(
                                v.get("parallelism"),
                                v.get("batch-size"),
                                v.get("split-rows"),
                                v.get("checkpoint-interval"),
                                v.get("lock-timeout"),
                                v.get("max-rows-per-second"),
                                anySetting ? settings : null,
                                v.get("synchronous-commit")),
                        tuning);
        Value onOff = v.get(THROTTLE_SWITCH);
        boolean enabled =
                onOff == null
                        ? tuning.throttle().enabled()
                        : throttleSwitch(onOff, "on, off, true or false");
        ThrottleSettings t = read.throttle();
        if (t.enabled() == enabled) {
            return read;
        }
        return new TuningSpec(
                read.parallelism(),
                read.batchSize(),
                read.splitRows(),
                read.checkpointInterval(),
                read.lockTimeout(),
                read.maxRowsPerSecond(),
                new ThrottleSettings(
                        enabled,
                        t.maxLatencyRatio(),
                        t.maxReplicaLag(),
                        t.maxActiveSessions(),
                        t.minRowsPerSecond()),
                read.synchronousCommit());
    }

    /** A latency ratio: a number over 1 and at most 1000, like 2 or 1.5. */
    private double ratio(Value v) {
        if (!v.scalar() || !DECIMAL_TEXT.matcher(v.text().trim()).matches()) {
            throw typeError(v, RATIO_FORM);
        }
        double value = Double.parseDouble(v.text().trim());
        if (!(value > 1) || value > 1000) {
            throw error(v, "must be " + RATIO_FORM + ", got " + v.text().trim());
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
            String problem =
                    "missing, and the default id %s is %d characters, over the limit of"
                            + " %d; set reorg: to a shorter id of letters, digits, '.', '_' or '-'";
            throw new JobSpecException(
                    fileName,
                    1,
                    "reorg",
                    problem.formatted(quote(id), id.length(), MAX_REORG_ID_LENGTH));
        }
        return id;
    }

    // ---------------------------------------------------------------------------------------
    // Presence and scalar conversions
    // ---------------------------------------------------------------------------------------

    /** A key that must be given: "missing" at its section's line, or "is empty" at its own. */
    private <T> T required(String field, T bound, String expected) {
        if (!keys.containsKey(field)) {
            String section = field.contains(".") ? field.substring(0, field.indexOf('.')) : "";
            throw new JobSpecException(
                    fileName, line(section), field, "missing; expected " + expected);
        }
        if (bound == null) {
            throw error(field, "is empty; expected " + expected);
        }
        return bound;
    }

    /** The operation's section, given (or there would be no operation): empty is refused. */
    private <T extends Record> T section(String field, T bound) {
        if (bound == null) {
            String form = mapForm(field.equals("add-index") ? AddIndex.class : ModifyColumn.class);
            throw error(field, "expected " + form + ", got nothing");
        }
        return bound;
    }

    /** A non-empty string; numbers and booleans are taken as written (a column may be "on"). */
    private String string(Value v, String expected) {
        if (!v.scalar()) {
            throw typeError(v, expected);
        }
        if (v.text().isBlank()) {
            throw error(v, "is empty; expected " + expected);
        }
        return v.text();
    }

    /** A whole number from {@code min} to {@code max}, or {@code absent} when not given. */
    private long integer(Value v, long min, long max, long absent) {
        if (v == null) {
            return absent;
        }
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
            throw typeError(v, range);
        }
        if (value.compareTo(BigInteger.valueOf(min)) < 0
                || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw error(v, "must be " + range + ", got " + value);
        }
        return value.longValue();
    }

    private boolean bool(Value v, boolean absent) {
        if (v == null) {
            return absent;
        }
        String word = v.token() == JsonToken.VALUE_STRING ? v.text().trim() : "";
        if (v.token() == JsonToken.VALUE_TRUE || word.equalsIgnoreCase("true")) {
            return true;
        }
        if (v.token() == JsonToken.VALUE_FALSE || word.equalsIgnoreCase("false")) {
            return false;
        }
        throw typeError(v, "true or false");
    }

    /** A whole number followed by ms, s, m or h, read by Flink's {@link TimeUtils}. */
    private Duration duration(Value v, Duration min, Duration max, Duration absent) {
        if (v == null) {
            return absent;
        }
        String written = v.scalar() ? v.text().trim() : "";
        if (!DURATION.matcher(written).matches()) {
            throw typeError(
                    v,
                    "a duration: a whole number followed by ms, s, m or h, like 500ms, 5s, 2m or"
                            + " 1h");
        }
        Duration d = TimeUtils.parseDuration(written);
        if (d.compareTo(min) < 0 || (max != null && d.compareTo(max) > 0)) {
            boolean low = d.compareTo(min) < 0;
            long limit = (low ? min : max).toMillis();
            throw error(
                    v, "must be at " + (low ? "least " : "most ") + limit + "ms, got " + written);
        }
        return d;
    }

    /** A name or qualified name, read by {@link Identifiers#parse}. */
    private List<String> identifier(Value v, String raw, int maxParts, String expected) {
        try {
            return Identifiers.parse(raw, maxParts, expected);
        } catch (IllegalArgumentException e) {
            throw error(v, e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------
    // Reading: the line map (first pass), then binding (second pass)
    // ---------------------------------------------------------------------------------------

    /** The first pass: the document's shape, and every keyed value by its dotted path. */
    private void readLines() {
        String expected =
                "a YAML map with the keys reorg, database, table, add-index or modify-column,"
                        + " and tuning";
        try (JsonParser p = MAPPER.getFactory().createParser(text)) {
            Value root = p.nextToken() == null ? null : read(p, "", null, line(p));
            if (root == null || root.token() == JsonToken.VALUE_NULL) {
                throw error(TOP_LEVEL, "the spec is empty; expected " + expected);
            }
            if (root.token() != JsonToken.START_OBJECT) {
                String problem = "expected " + expected + ", got " + root.shown();
                throw new JobSpecException(fileName, root.line(), TOP_LEVEL, problem);
            }
            if (p.nextToken() != null) {
                String problem =
                        "a second YAML document (after ---); a spec file holds one document";
                throw new JobSpecException(fileName, line(p), TOP_LEVEL, problem);
            }
        } catch (IOException e) {
            throw syntaxError(e);
        }
    }

    /**
     * Reads the value at the current token as written, with the line errors name ({@code line}: its
     * key's, or a list item's own), refusing what a spec cannot hold.
     */
    private Value read(JsonParser p, String field, String key, int line) throws IOException {
        JsonToken token = p.currentToken();
        String where = field.isEmpty() ? TOP_LEVEL : field;
        if (token == null) {
            throw new JobSpecException(fileName, line(p), YAML, "the YAML ends unexpectedly");
        }
        if (p instanceof YAMLParser yp && yp.isCurrentAlias()) {
            String problem =
                    "YAML aliases (*" + p.getText() + ") are not supported; write the value out";
            throw new JobSpecException(fileName, line(p), where, problem);
        }
        if (!VALUE_TOKENS.contains(token)) {
            String problem = "unsupported YAML value (" + token + ")";
            throw new JobSpecException(fileName, line(p), where, problem);
        }
        String text = p.getText();
        BigInteger number = null;
        try {
            number = token == JsonToken.VALUE_NUMBER_INT ? p.getBigIntegerValue() : null;
        } catch (IOException | NumberFormatException e) {
            number = null; // reported as "expected a whole number, got ..." if used
        }
        List<Value> items = new ArrayList<>();
        while (token == JsonToken.START_ARRAY && p.nextToken() != JsonToken.END_ARRAY) {
            items.add(read(p, field, null, line(p)));
        }
        Map<String, Integer> seen = new HashMap<>();
        while (token == JsonToken.START_OBJECT && p.nextToken() != JsonToken.END_OBJECT) {
            if (p.currentToken() != JsonToken.FIELD_NAME) {
                throw new JobSpecException(fileName, line(p), where, "expected a key");
            }
            String name = p.currentName();
            String child = field.isEmpty() ? name : field + "." + name;
            Integer earlier = seen.putIfAbsent(name, line(p));
            if (earlier != null) {
                String problem =
                        "duplicate key; it is already given at line %d; give each key once";
                throw new JobSpecException(fileName, line(p), child, problem.formatted(earlier));
            }
            int keyLine = line(p);
            p.nextToken();
            Value value = read(p, child, name, keyLine);
            items.add(value);
            keys.putIfAbsent(child, value);
        }
        return new Value(field, key, line, token, text, number, items);
    }

    /** The second pass: databind; an unknown key, or a section that is no map, fails here. */
    private Top bind() {
        try {
            return MAPPER.readerFor(Top.class).withAttribute(Value.class, keys).readValue(text);
        } catch (UnrecognizedPropertyException e) {
            String field = path(e.getPath());
            String section = path(e.getPath().subList(0, e.getPath().size() - 1));
            List<String> allowed = mapKeys(e.getReferringClass());
            String key = e.getPropertyName();
            String normalized = key.toLowerCase(Locale.ROOT).replace('_', '-');
            String hint =
                    allowed.contains(normalized)
                            ? "; did you mean " + normalized + "?"
                            : key.equalsIgnoreCase("password")
                                    ? "; never put a password in the spec: use password-env (the"
                                            + " name of an environment variable) or password-file"
                                    : "";
            String where = section.isEmpty() ? "at the top level" : "in " + section;
            String problem = "unknown key; the keys allowed %s are %s%s";
            throw error(field, problem.formatted(where, String.join(", ", allowed), hint));
        } catch (MismatchedInputException e) {
            String field = path(e.getPath());
            String got = keys.containsKey(field) ? keys.get(field).shown() : "nothing";
            throw error(field, "expected " + mapForm(e.getTargetType()) + ", got " + got);
        } catch (JsonProcessingException e) {
            throw syntaxError(e); // not expected: the first pass read the same text
        }
    }

    private static String path(List<JsonMappingException.Reference> references) {
        return references.stream()
                .map(JsonMappingException.Reference::getFieldName)
                .collect(Collectors.joining("."));
    }

    /** The keys of a bound record, in the order it declares them. */
    private static List<String> mapKeys(Class<?> type) {
        return type == null || !type.isRecord()
                ? List.of()
                : Arrays.stream(type.getRecordComponents())
                        .map(c -> KEBAB.translate(c.getName()))
                        .toList();
    }

    private static String mapForm(Class<?> type) {
        return "a map with the keys " + String.join(", ", mapKeys(type));
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

    // ---------------------------------------------------------------------------------------
    // Lines and errors
    // ---------------------------------------------------------------------------------------

    private static int line(JsonParser p) {
        return p.currentTokenLocation().getLineNr();
    }

    /** The line of a key, by its dotted path; 1 for the top level. */
    private int line(String field) {
        return keys.containsKey(field) ? keys.get(field).line() : 1;
    }

    private JobSpecException error(String field, String problem) {
        return new JobSpecException(fileName, line(field), field, problem);
    }

    private JobSpecException error(Value v, String problem) {
        return new JobSpecException(fileName, v.line(), v.field(), problem);
    }

    private JobSpecException typeError(Value v, String expected) {
        return error(v, "expected " + expected + ", got " + v.shown());
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static String quote(String s) {
        return "\"" + (s.length() > 80 ? s.substring(0, 77) + "..." : s) + "\"";
    }

    // ---------------------------------------------------------------------------------------
    // The bound value
    // ---------------------------------------------------------------------------------------

    /**
     * One value of the spec as written: its field (the dotted path of its key; a list item has its
     * list's, and no key), the line errors name, its token and text (a column named {@code on}
     * stays {@code on}), and a list's items or a map's entries (each with its key).
     */
    @JsonDeserialize(using = ValueReader.class)
    record Value(
            String field,
            String key,
            int line,
            JsonToken token,
            String text,
            BigInteger number,
            List<Value> items) {

        /** A scalar that is not null: a string, number or boolean. */
        boolean scalar() {
            return token.isScalarValue() && token != JsonToken.VALUE_NULL;
        }

        /** How an error shows the value: {@code "text"}, {@code 12}, {@code a list}. */
        String shown() {
            return shown(token, text);
        }

        static String shown(JsonToken token, String text) {
            return switch (token) {
                case START_OBJECT -> "a map";
                case START_ARRAY -> "a list";
                case VALUE_NULL -> "nothing";
                case VALUE_STRING -> quote(text);
                default -> text;
            };
        }
    }

    /** Binds a value of the spec: the {@link Value} the first pass read for its field. */
    static final class ValueReader extends StdDeserializer<Value> {
        private static final long serialVersionUID = 1L;

        ValueReader() {
            super(Value.class);
        }

        @Override
        @SuppressWarnings("unchecked")
        public Value deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            JsonStreamContext c = p.getParsingContext();
            c = p.currentToken().isStructStart() ? c.getParent() : c;
            List<String> path = new ArrayList<>();
            for (; c != null && !c.inRoot(); c = c.getParent()) {
                path.add(0, c.getCurrentName());
            }
            p.skipChildren();
            return ((Map<String, Value>) ctxt.getAttribute(Value.class))
                    .get(String.join(".", path));
        }
    }

    /** Binds {@code tuning.throttle}: a map as {@link Throttle}, anything else as a value. */
    static final class ThrottleReader extends StdDeserializer<Object> {
        private static final long serialVersionUID = 1L;

        ThrottleReader() {
            super(Object.class);
        }

        @Override
        public Object deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            return p.isExpectedStartObjectToken()
                    ? ctxt.readValue(p, Throttle.class)
                    : ctxt.readValue(p, Value.class);
        }
    }
}
