package dev.backfill.model;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

import static org.apache.flink.util.Preconditions.checkArgument;
import static org.apache.flink.util.Preconditions.checkNotNull;

/**
 * An immutable, validated job spec: what to reorganize and how. Built by {@code job.JobSpecParser}
 * on the client from a YAML file and shipped to the Flink job as part of the graph.
 *
 * <p>The password is held only as {@link DatabaseSpec#password()}; {@link #toString()} never shows
 * it.
 */
@PublicEvolving
public final class JobSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The operation a reorg performs. */
    public enum Operation {
        ADD_INDEX("add-index"),
        MODIFY_COLUMN("modify-column");

        private final String key;

        Operation(String key) {
            this.key = key;
        }

        /** The spec key and the catalog's {@code operation} value, e.g. {@code add-index}. */
        public String key() {
            return key;
        }
    }

    private final String sourceFile;
    private final String reorgId;
    private final String rawSpec;
    private final DatabaseSpec database;
    private final String schema; // null: resolve through search_path
    private final String table;
    private final OperationSpec operationSpec;
    private final TuningSpec tuning;
    private Verify verify = Verify.REPAIR;

    /**
     * What the finalizer does when its first verification finds a difference (spec key {@code
     * verify}).
     */
    public enum Verify {
        /** Fail the reorg, naming the first differing keys and the count; change nothing. */
        STRICT("strict"),
        /** Repair the differing ranges, count them in {@code rows_repaired}, verify again. */
        REPAIR("repair");

        private final String key;

        Verify(String key) {
            this.key = key;
        }

        /** The spec value, e.g. {@code strict}. */
        public String key() {
            return key;
        }

        /** The mode for a spec value, or null when there is none. */
        public static Verify fromKey(String key) {
            return byKey(values(), Verify::key, key);
        }
    }

    /**
     * The operation's own part of a spec: one type per operation, each knowing its {@link
     * Operation}. The operation's code takes its part by pattern.
     */
    public sealed interface OperationSpec extends Serializable
            permits AddIndexSpec, ModifyColumnSpec {
        /** The operation this part belongs to. */
        Operation operation();
    }

    /** A spec of the operation whose part {@code operationSpec} is. */
    public JobSpec(
            String sourceFile,
            String reorgId,
            String rawSpec,
            DatabaseSpec database,
            String schema,
            String table,
            OperationSpec operationSpec,
            TuningSpec tuning) {
        this.sourceFile = sourceFile;
        this.reorgId = checkNotNull(reorgId, "reorgId");
        // Whoever built it, the text that is stored and shown holds no secret of a URL.
        this.rawSpec = Secrets.redact(checkNotNull(rawSpec, "rawSpec"));
        this.database = checkNotNull(database, "database");
        this.schema = schema;
        this.table = checkNotNull(table, "table");
        this.operationSpec = checkNotNull(operationSpec, "operationSpec");
        this.tuning = checkNotNull(tuning, "tuning");
    }

    /** An add-index spec (or any spec without a modify-column part), from its part. */
    public JobSpec(
            String sourceFile,
            String reorgId,
            String rawSpec,
            DatabaseSpec database,
            String schema,
            String table,
            Operation operation,
            AddIndexSpec addIndex,
            TuningSpec tuning) {
        this(
                sourceFile,
                reorgId,
                rawSpec,
                database,
                schema,
                table,
                operation,
                addIndex,
                null,
                tuning);
    }

    /**
     * A spec for either operation from its part given as one of two: {@code modifyColumn} exactly
     * when {@code operation} is {@link Operation#MODIFY_COLUMN}, and then {@code addIndex} is null;
     * otherwise {@code addIndex}.
     */
    public JobSpec(
            String sourceFile,
            String reorgId,
            String rawSpec,
            DatabaseSpec database,
            String schema,
            String table,
            Operation operation,
            AddIndexSpec addIndex,
            ModifyColumnSpec modifyColumn,
            TuningSpec tuning) {
        this(
                sourceFile,
                reorgId,
                rawSpec,
                database,
                schema,
                table,
                part(checkNotNull(operation, "operation"), addIndex, modifyColumn),
                tuning);
    }

    private static OperationSpec part(
            Operation operation, AddIndexSpec addIndex, ModifyColumnSpec modifyColumn) {
        if (operation == Operation.MODIFY_COLUMN) {
            checkNotNull(modifyColumn, "modifyColumn (operation modify-column)");
            checkArgument(
                    addIndex == null,
                    "a modify-column spec has no add-index part, got %s",
                    addIndex);
            return modifyColumn;
        }
        checkArgument(
                modifyColumn == null,
                "a %s spec has no modify-column part, got %s",
                operation.key(),
                modifyColumn);
        return checkNotNull(addIndex, "addIndex (operation add-index)");
    }

    /** The constant of an enum whose spec value ({@code key}) is {@code value}, or null. */
    private static <E extends Enum<E>> E byKey(E[] values, Function<E, String> key, String value) {
        for (E e : values) {
            if (key.apply(e).equals(value)) {
                return e;
            }
        }
        return null;
    }

    /** The file the spec was read from, for error messages; may be {@code <inline>}. */
    public String sourceFile() {
        return sourceFile;
    }

    public String reorgId() {
        return reorgId;
    }

    /**
     * The spec text as given, with the secrets of its URL {@link Secrets#redact redacted}; stored
     * in {@code backfill.reorgs.spec}. Holds no password.
     */
    public String rawSpec() {
        return rawSpec;
    }

    public DatabaseSpec database() {
        return database;
    }

    /** The table's schema as written in the spec, or null when unqualified. */
    public String schema() {
        return schema;
    }

    public String table() {
        return table;
    }

    /** The operation, as its part ({@link #operationSpec()}) knows it. */
    public Operation operation() {
        return operationSpec.operation();
    }

    /** The operation's own part: an {@link AddIndexSpec} or a {@link ModifyColumnSpec}. */
    public OperationSpec operationSpec() {
        return operationSpec;
    }

    public TuningSpec tuning() {
        return tuning;
    }

    /** The verification mode; {@link Verify#REPAIR} unless the spec says {@code verify: strict}. */
    public Verify verify() {
        return verify;
    }

    /** Returns a copy with the given verification mode. */
    public JobSpec withVerify(Verify mode) {
        JobSpec copy =
                new JobSpec(
                        sourceFile,
                        reorgId,
                        rawSpec,
                        database,
                        schema,
                        table,
                        operationSpec,
                        tuning);
        copy.verify = checkNotNull(mode, "verify");
        return copy;
    }

    /** Returns a copy pointed at another database (used when {@code embedded} is resolved). */
    public JobSpec withDatabase(DatabaseSpec db) {
        return new JobSpec(sourceFile, reorgId, rawSpec, db, schema, table, operationSpec, tuning)
                .withVerify(verify);
    }

    /**
     * Returns a copy with other tuning (a Flink configuration's {@code backfill.tuning.*} options
     * over the spec's; tuning is not part of the reorg's definition).
     */
    public JobSpec withTuning(TuningSpec other) {
        return new JobSpec(
                        sourceFile, reorgId, rawSpec, database, schema, table, operationSpec, other)
                .withVerify(verify);
    }

    /** The table as written, e.g. {@code demo.orders}. */
    public String tableName() {
        return schema == null ? table : schema + "." + table;
    }

    @Override
    public String toString() {
        return "JobSpec{reorg="
                + reorgId
                + ", table="
                + tableName()
                + ", operation="
                + operation().key()
                + ", database="
                + database
                + ", tuning="
                + tuning
                + "}";
    }

    /** Where the database is and who to connect as. */
    public static final class DatabaseSpec implements Serializable {
        private static final long serialVersionUID = 1L;

        /** The spec value that selects the embedded server. */
        public static final String EMBEDDED = "embedded";

        private final String url;
        private final String user;
        private final String password;
        private final long demoRows;

        public DatabaseSpec(String url, String user, String password, long demoRows) {
            this.url = checkNotNull(url, "url");
            this.user = user;
            this.password = password;
            this.demoRows = demoRows;
        }

        /**
         * A JDBC URL, or {@code embedded}. It may hold secrets ({@code sslpassword=...}): connect
         * with it, but show and store only {@link Secrets#redact}{@code (url)}.
         */
        public String url() {
            return url;
        }

        public boolean isEmbedded() {
            return EMBEDDED.equals(url);
        }

        public String user() {
            return user;
        }

        /** The resolved password; never log it. May be null. */
        public String password() {
            return password;
        }

        /** Embedded only: rows to seed {@code demo.orders} with when it is absent; 0 for none. */
        public long demoRows() {
            return demoRows;
        }

        public DatabaseSpec withUrl(String newUrl) {
            return new DatabaseSpec(newUrl, user, password, demoRows);
        }

        @Override
        public String toString() {
            return "{url="
                    + Secrets.redact(url)
                    + ", user="
                    + user
                    + ", password="
                    + (password == null ? "<none>" : "***")
                    + "}";
        }
    }

    /** The {@code add-index} operation: an index table over {@code columns}. */
    public static final class AddIndexSpec implements OperationSpec {
        private static final long serialVersionUID = 1L;

        private final String name;
        private final List<String> columns;
        private final boolean unique;

        public AddIndexSpec(String name, List<String> columns, boolean unique) {
            this.name = checkNotNull(name, "name");
            this.columns = List.copyOf(columns);
            this.unique = unique;
        }

        public String name() {
            return name;
        }

        public List<String> columns() {
            return columns;
        }

        public boolean unique() {
            return unique;
        }

        @Override
        public Operation operation() {
            return Operation.ADD_INDEX;
        }

        @Override
        public String toString() {
            return "{name=" + name + ", columns=" + columns + ", unique=" + unique + "}";
        }
    }

    /**
     * The {@code modify-column} operation: change {@code column} to {@code type}, each value
     * converted by the SQL expression {@code using} or by the named Java {@code converter} (at most
     * one of them; with neither, {@code CAST(column AS type)}).
     *
     * <p>{@code type} and {@code using} are kept as written; they are checked against the live
     * schema when the reorg is resolved, not by the parser.
     */
    public static final class ModifyColumnSpec implements OperationSpec {
        private static final long serialVersionUID = 1L;

        /** How the reorg reaches {@code public} once the new column is verified. */
        public enum Cutover {
            /** Cut over as soon as verification passes (the default). */
            AUTO("auto"),
            /** Wait in state {@code ready} for {@code scripts/backfill cutover}. */
            MANUAL("manual");

            private final String key;

            Cutover(String key) {
                this.key = key;
            }

            /** The spec value, e.g. {@code auto}. */
            public String key() {
                return key;
            }

            /** The cutover for a spec value ({@code auto} or {@code manual}), or null. */
            public static Cutover fromKey(String key) {
                return byKey(values(), Cutover::key, key);
            }
        }

        private final String column;
        private final String type;
        private final String using; // null: the converter, or CAST(column AS type)
        private final String converter; // null: the using expression, or CAST(column AS type)
        private final Map<String, String> converterOptions; // in spec order; never null
        private final Cutover cutover;

        public ModifyColumnSpec(
                String column,
                String type,
                String using,
                String converter,
                Map<String, String> converterOptions,
                Cutover cutover) {
            this.column = checkNotNull(column, "column");
            this.type = checkNotNull(type, "type");
            checkArgument(
                    using == null || converter == null,
                    "give either using or converter, not both: %s, %s",
                    using,
                    converter);
            Map<String, String> options = converterOptions == null ? Map.of() : converterOptions;
            checkArgument(
                    options.isEmpty() || converter != null,
                    "converter options %s need a converter",
                    options.keySet());
            this.using = using;
            this.converter = converter;
            LinkedHashMap<String, String> copy = new LinkedHashMap<>();
            options.forEach(
                    (k, v) ->
                            copy.put(
                                    checkNotNull(k, "converter option name"),
                                    checkNotNull(v, "converter option " + k)));
            this.converterOptions = Collections.unmodifiableMap(copy);
            this.cutover = checkNotNull(cutover, "cutover");
        }

        /** The column to change, as written (quotes removed, not case-folded). */
        public String column() {
            return column;
        }

        /** The new PostgreSQL type as written, e.g. {@code numeric(12,2)}. */
        public String type() {
            return type;
        }

        /** The SQL expression over the row's columns that computes the new value, or null. */
        public String using() {
            return using;
        }

        /** The name of the Java converter, e.g. {@code timestamptz}, or null. */
        public String converter() {
            return converter;
        }

        /** The converter's options in spec order; empty without a converter. Never null. */
        public Map<String, String> converterOptions() {
            return converterOptions;
        }

        public Cutover cutover() {
            return cutover;
        }

        @Override
        public Operation operation() {
            return Operation.MODIFY_COLUMN;
        }

        @Override
        public boolean equals(Object o) {
            if (this == o) {
                return true;
            }
            if (!(o instanceof ModifyColumnSpec other)) {
                return false;
            }
            return column.equals(other.column)
                    && type.equals(other.type)
                    && Objects.equals(using, other.using)
                    && Objects.equals(converter, other.converter)
                    && converterOptions.equals(other.converterOptions)
                    && cutover == other.cutover;
        }

        @Override
        public int hashCode() {
            return Objects.hash(column, type, using, converter, converterOptions, cutover);
        }

        @Override
        public String toString() {
            return "{column="
                    + column
                    + ", type="
                    + type
                    + (using == null ? "" : ", using=" + using)
                    + (converter == null ? "" : ", converter=" + converter)
                    + (converterOptions.isEmpty() ? "" : ", converter-options=" + converterOptions)
                    + ", cutover="
                    + cutover.key()
                    + "}";
        }
    }

    /** Optional tuning; every field has a default. */
    public static final class TuningSpec implements Serializable {
        private static final long serialVersionUID = 1L;

        public static final int DEFAULT_PARALLELISM = 2;
        public static final int DEFAULT_BATCH_SIZE = 1000;
        public static final long DEFAULT_SPLIT_ROWS = 100_000;
        public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(5);
        public static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofMillis(500);

        /**
         * Batches commit without waiting for their WAL flush; the sink makes every checkpoint
         * durable instead (see {@code BackfillSinkWriter.flush}).
         */
        public static final boolean DEFAULT_SYNCHRONOUS_COMMIT = false;

        private final int parallelism;
        private final int batchSize;
        private final long splitRows;
        private final Duration checkpointInterval;
        private final Duration lockTimeout;
        private final long maxRowsPerSecond; // 0: unlimited
        private final dev.backfill.model.ThrottleSettings throttle;
        private final boolean synchronousCommit;

        public TuningSpec(
                int parallelism,
                int batchSize,
                long splitRows,
                Duration checkpointInterval,
                Duration lockTimeout,
                long maxRowsPerSecond,
                dev.backfill.model.ThrottleSettings throttle,
                boolean synchronousCommit) {
            this.throttle = checkNotNull(throttle, "throttle");
            this.synchronousCommit = synchronousCommit;
            this.parallelism = parallelism;
            this.batchSize = batchSize;
            this.splitRows = splitRows;
            this.checkpointInterval = checkpointInterval;
            this.lockTimeout = lockTimeout;
            this.maxRowsPerSecond = maxRowsPerSecond;
        }

        public static TuningSpec defaults() {
            return new TuningSpec(
                    DEFAULT_PARALLELISM,
                    DEFAULT_BATCH_SIZE,
                    DEFAULT_SPLIT_ROWS,
                    DEFAULT_CHECKPOINT_INTERVAL,
                    DEFAULT_LOCK_TIMEOUT,
                    0,
                    dev.backfill.model.ThrottleSettings.defaults(),
                    DEFAULT_SYNCHRONOUS_COMMIT);
        }

        public int parallelism() {
            return parallelism;
        }

        public int batchSize() {
            return batchSize;
        }

        public long splitRows() {
            return splitRows;
        }

        public Duration checkpointInterval() {
            return checkpointInterval;
        }

        public Duration lockTimeout() {
            return lockTimeout;
        }

        public long maxRowsPerSecond() {
            return maxRowsPerSecond;
        }

        /** The adaptive throttle ({@code tuning.throttle}); on by default. */
        public dev.backfill.model.ThrottleSettings throttle() {
            return throttle;
        }

        /**
         * Whether each batch's commit waits for its WAL to reach disk ({@code synchronous_commit}
         * of the sink's sessions). When false, a server crash can lose the last batches' commits,
         * watermark included, so a resume redoes them; every checkpoint is made durable first.
         */
        public boolean synchronousCommit() {
            return synchronousCommit;
        }

        @Override
        public String toString() {
            return "{parallelism="
                    + parallelism
                    + ", batch-size="
                    + batchSize
                    + ", split-rows="
                    + splitRows
                    + ", checkpoint-interval="
                    + checkpointInterval
                    + ", lock-timeout="
                    + lockTimeout
                    + ", max-rows-per-second="
                    + maxRowsPerSecond
                    + ", throttle="
                    + throttle
                    + ", synchronous-commit="
                    + synchronousCommit
                    + "}";
        }
    }
}
