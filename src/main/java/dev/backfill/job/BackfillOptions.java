package dev.backfill.job;

import dev.backfill.model.JobSpec;
import dev.backfill.model.JobSpec.TuningSpec;
import dev.backfill.model.ThrottleSettings;

import org.apache.flink.annotation.PublicEvolving;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.ReadableConfig;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The spec's {@code tuning} as Flink {@link ConfigOption}s ({@code backfill.tuning.<field>}), so
 * that a Flink configuration overrides the spec's tuning for one run: {@code flink run
 * -Dbackfill.tuning.batch-size=2000 ...}, the cluster's {@code config.yaml}, or {@code
 * scripts/backfill --job FILE -Dbackfill.tuning.batch-size=2000}. A value in the configuration wins
 * over the spec's, which wins over the default.
 *
 * <pre>{@code
 * JobSpec spec = BackfillOptions.apply(JobSpecParser.parse(file), env.getConfiguration());
 * }</pre>
 *
 * <p>Each value is read by the same rules as the spec's field ({@link JobSpecParser}); a bad one,
 * or an unknown {@code backfill.tuning.*} key, is a {@link JobSpecException} naming the key and the
 * value: {@code Flink configuration: backfill.tuning.batch-size: expected a whole number from 1 to
 * 100000, got "abc"}. Tuning is not part of the reorg's definition, so a resumed reorg may run with
 * other tuning. The throttle's settings override the spec's one by one; only {@link
 * #THROTTLE_ENABLED} switches it on or off.
 */
@PublicEvolving
public final class BackfillOptions {
    private static final Logger LOG = LoggerFactory.getLogger(BackfillOptions.class);

    /** The prefix of every option. */
    public static final String PREFIX = "backfill.tuning.";

    /** Where the values come from, named first in errors as a spec's file is. */
    static final String ORIGIN = "Flink configuration";

    public static final ConfigOption<Integer> PARALLELISM =
            ConfigOptions.key(PREFIX + "parallelism")
                    .intType()
                    .defaultValue(TuningSpec.DEFAULT_PARALLELISM)
                    .withDescription(
                            "Readers and writers (1 to 1024), over the spec's tuning.parallelism;"
                                    + " -p (parallelism.default) wins on flink run.");

    public static final ConfigOption<Integer> BATCH_SIZE =
            ConfigOptions.key(PREFIX + "batch-size")
                    .intType()
                    .defaultValue(TuningSpec.DEFAULT_BATCH_SIZE)
                    .withDescription(
                            "Rows per batch transaction (1 to 100000), over tuning.batch-size.");

    public static final ConfigOption<Long> SPLIT_ROWS =
            ConfigOptions.key(PREFIX + "split-rows")
                    .longType()
                    .defaultValue(TuningSpec.DEFAULT_SPLIT_ROWS)
                    .withDescription("Rows per split (at least 1), over tuning.split-rows.");

    public static final ConfigOption<Duration> CHECKPOINT_INTERVAL =
            ConfigOptions.key(PREFIX + "checkpoint-interval")
                    .durationType()
                    .defaultValue(TuningSpec.DEFAULT_CHECKPOINT_INTERVAL)
                    .withDescription(
                            "Checkpoint interval, like 5s (ms, s, m or h; at least 10ms), over"
                                    + " tuning.checkpoint-interval; the cluster's"
                                    + " execution.checkpointing.interval wins.");

    public static final ConfigOption<Duration> LOCK_TIMEOUT =
            ConfigOptions.key(PREFIX + "lock-timeout")
                    .durationType()
                    .defaultValue(TuningSpec.DEFAULT_LOCK_TIMEOUT)
                    .withDescription(
                            "lock_timeout of the DDL and of each batch, like 500ms, over"
                                    + " tuning.lock-timeout.");

    public static final ConfigOption<Long> MAX_ROWS_PER_SECOND =
            ConfigOptions.key(PREFIX + "max-rows-per-second")
                    .longType()
                    .defaultValue(0L)
                    .withDescription(
                            "Global read rate over all readers, 0 for unlimited, over"
                                    + " tuning.max-rows-per-second.");

    public static final ConfigOption<Boolean> SYNCHRONOUS_COMMIT =
            ConfigOptions.key(PREFIX + "synchronous-commit")
                    .booleanType()
                    .defaultValue(TuningSpec.DEFAULT_SYNCHRONOUS_COMMIT)
                    .withDescription(
                            "Whether each batch waits for its WAL flush, over"
                                    + " tuning.synchronous-commit.");

    public static final ConfigOption<Boolean> THROTTLE_ENABLED =
            ConfigOptions.key(PREFIX + "throttle.enabled")
                    .booleanType()
                    .defaultValue(true)
                    .withDescription(
                            "The adaptive throttle on or off (true, false, on or off), over"
                                    + " tuning.throttle: on/off.");

    public static final ConfigOption<Double> THROTTLE_MAX_LATENCY_RATIO =
            ConfigOptions.key(PREFIX + "throttle.max-latency-ratio")
                    .doubleType()
                    .defaultValue(ThrottleSettings.DEFAULT_MAX_LATENCY_RATIO)
                    .withDescription(
                            "Probe latency tolerated, as a multiple of its idle baseline (over 1,"
                                    + " at most 1000), over tuning.throttle.max-latency-ratio.");

    public static final ConfigOption<Duration> THROTTLE_MAX_REPLICA_LAG =
            ConfigOptions.key(PREFIX + "throttle.max-replica-lag")
                    .durationType()
                    .defaultValue(ThrottleSettings.DEFAULT_MAX_REPLICA_LAG)
                    .withDescription(
                            "A replica's replay lag tolerated, like 5s, over"
                                    + " tuning.throttle.max-replica-lag.");

    public static final ConfigOption<Integer> THROTTLE_MAX_ACTIVE_SESSIONS =
            ConfigOptions.key(PREFIX + "throttle.max-active-sessions")
                    .intType()
                    .defaultValue(ThrottleSettings.DEFAULT_MAX_ACTIVE_SESSIONS)
                    .withDescription(
                            "Other active sessions tolerated, 0 for not watched, over"
                                    + " tuning.throttle.max-active-sessions.");

    public static final ConfigOption<Long> THROTTLE_MIN_ROWS_PER_SECOND =
            ConfigOptions.key(PREFIX + "throttle.min-rows-per-second")
                    .longType()
                    .defaultValue(ThrottleSettings.DEFAULT_MIN_ROWS_PER_SECOND)
                    .withDescription(
                            "The global rate the throttle never caps below (at least 1), over"
                                    + " tuning.throttle.min-rows-per-second.");

    /** An option, the spec field under {@code tuning} it overrides, and that field's value. */
    private record Knob(ConfigOption<?> option, String field, Function<TuningSpec, Object> value) {}

    private static final List<Knob> KNOBS =
            List.of(
                    new Knob(PARALLELISM, "parallelism", TuningSpec::parallelism),
                    new Knob(BATCH_SIZE, "batch-size", TuningSpec::batchSize),
                    new Knob(SPLIT_ROWS, "split-rows", TuningSpec::splitRows),
                    new Knob(
                            CHECKPOINT_INTERVAL,
                            "checkpoint-interval",
                            t -> shown(t.checkpointInterval())),
                    new Knob(LOCK_TIMEOUT, "lock-timeout", t -> shown(t.lockTimeout())),
                    new Knob(
                            MAX_ROWS_PER_SECOND,
                            "max-rows-per-second",
                            TuningSpec::maxRowsPerSecond),
                    new Knob(
                            THROTTLE_ENABLED,
                            JobSpecParser.THROTTLE_SWITCH,
                            t -> t.throttle().enabled()),
                    new Knob(
                            THROTTLE_MAX_LATENCY_RATIO,
                            "throttle.max-latency-ratio",
                            t -> t.throttle().maxLatencyRatio()),
                    new Knob(
                            THROTTLE_MAX_REPLICA_LAG,
                            "throttle.max-replica-lag",
                            t -> shown(t.throttle().maxReplicaLag())),
                    new Knob(
                            THROTTLE_MAX_ACTIVE_SESSIONS,
                            "throttle.max-active-sessions",
                            t -> t.throttle().maxActiveSessions()),
                    new Knob(
                            THROTTLE_MIN_ROWS_PER_SECOND,
                            "throttle.min-rows-per-second",
                            t -> t.throttle().minRowsPerSecond()),
                    new Knob(
                            SYNCHRONOUS_COMMIT,
                            "synchronous-commit",
                            TuningSpec::synchronousCommit));

    private BackfillOptions() {}

    /** Every option, in the order of the spec reference. */
    public static List<ConfigOption<?>> options() {
        return KNOBS.stream().map(Knob::option).collect(Collectors.toList());
    }

    /** The spec field under {@code tuning} each option overrides, by option key, in order. */
    static Map<String, String> fields() {
        return KNOBS.stream()
                .collect(
                        Collectors.toMap(
                                k -> k.option().key(),
                                Knob::field,
                                (a, b) -> a,
                                java.util.LinkedHashMap::new));
    }

    /**
     * The spec with its tuning overridden by the {@code backfill.tuning.*} options {@code config}
     * sets (the spec itself when it sets none), and a log line naming the knobs it changed.
     *
     * @throws JobSpecException for an unknown {@code backfill.tuning.*} key or a bad value, naming
     *     the key and the value
     */
    public static JobSpec apply(JobSpec spec, ReadableConfig config) {
        Map<String, String> given = new TreeMap<>(config.toMap());
        List<JobSpecParser.TuningText> texts = new ArrayList<>();
        Map<String, String> fields = fields();
        for (Map.Entry<String, String> e : given.entrySet()) {
            String key = e.getKey();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String field = fields.get(key);
            if (field == null) {
                throw new JobSpecException(
                        ORIGIN,
                        0,
                        key,
                        "unknown option; the tuning options are "
                                + String.join(", ", fields.keySet()));
            }
            texts.add(new JobSpecParser.TuningText(field, key, e.getValue()));
        }
        if (texts.isEmpty()) {
            return spec;
        }
        JobSpec applied = spec.withTuning(JobSpecParser.tuning(spec.tuning(), texts, ORIGIN));
        String changed = describe(spec, applied);
        if (!changed.isEmpty()) {
            LOG.info("Reorg {}: tuning from the Flink configuration: {}", spec.reorgId(), changed);
        }
        return applied;
    }

    /**
     * The knobs whose values differ between {@code spec} and {@code applied}, as {@code
     * backfill.tuning.batch-size=2000 (spec: 1000), ...}; empty when none differ.
     */
    public static String describe(JobSpec spec, JobSpec applied) {
        List<String> changed = new ArrayList<>();
        for (Knob k : KNOBS) {
            Object before = k.value().apply(spec.tuning());
            Object after = k.value().apply(applied.tuning());
            if (!before.equals(after)) {
                changed.add(k.option().key() + "=" + after + " (spec: " + before + ")");
            }
        }
        return String.join(", ", changed);
    }

    /** A duration as a spec writes it: {@code 500ms}, {@code 5s}. */
    private static String shown(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}
