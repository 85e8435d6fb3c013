package dev.backfill.job;

import dev.backfill.model.JobSpec;
import dev.backfill.model.JobSpec.TuningSpec;
import dev.backfill.model.ThrottleSettings;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@link BackfillOptions}: a Flink configuration's value wins over the spec's, which wins over the
 * default; bad values and unknown keys are refused by the parser's rules, naming the key and the
 * value; and the options cover exactly the spec's tuning fields.
 */
class BackfillOptionsTest {
    private static final String SPEC =
            "database:\n"
                    + "  url: embedded\n"
                    + "table: demo.orders\n"
                    + "add-index:\n"
                    + "  name: orders_email\n"
                    + "  columns: [email]\n";

    private static JobSpec spec(String tuning) {
        return JobSpecParser.parse(SPEC + tuning, "spec.yaml", Map.of());
    }

    private static Configuration config(String... keyValues) {
        Configuration c = new Configuration();
        for (int i = 0; i < keyValues.length; i += 2) {
            c.setString(keyValues[i], keyValues[i + 1]);
        }
        return c;
    }

    private static void assertRefused(String key, String value, String problem) {
        JobSpec spec = spec("tuning:\n  batch-size: 500\n");
        JobSpecException e =
                catchThrowableOfType(
                        JobSpecException.class,
                        () -> BackfillOptions.apply(spec, config(key, value)));
        assertThat(e).as("%s=%s", key, value).isNotNull();
        assertThat(e.getMessage()).isEqualTo("Flink configuration: " + key + ": " + problem);
        assertThat(e.field()).isEqualTo(key);
    }

    @Test
    void theConfigurationWinsOverTheSpecWhichWinsOverTheDefault() {
        JobSpec spec = spec("tuning:\n  batch-size: 500\n  lock-timeout: 2s\n");
        JobSpec applied =
                BackfillOptions.apply(
                        spec,
                        config(
                                "backfill.tuning.batch-size", "2000",
                                "backfill.tuning.split-rows", "777",
                                "unrelated.flink.option", "x"));
        TuningSpec t = applied.tuning();
        assertThat(t.batchSize()).as("configuration over spec").isEqualTo(2000);
        assertThat(t.splitRows()).as("configuration over default").isEqualTo(777);
        assertThat(t.lockTimeout()).as("spec over default").isEqualTo(Duration.ofSeconds(2));
        assertThat(t.parallelism()).as("default").isEqualTo(TuningSpec.DEFAULT_PARALLELISM);
        assertThat(t.throttle()).isEqualTo(ThrottleSettings.defaults());
        // Only the tuning changes.
        assertThat(applied.reorgId()).isEqualTo(spec.reorgId());
        assertThat(applied.rawSpec()).isEqualTo(spec.rawSpec());
        assertThat(applied.verify()).isEqualTo(spec.verify());
        assertThat(BackfillOptions.describe(spec, applied))
                .isEqualTo(
                        "backfill.tuning.batch-size=2000 (spec: 500),"
                                + " backfill.tuning.split-rows=777 (spec: 100000)");
    }

    @Test
    void everyKnobIsReadFromItsOption() {
        JobSpec applied =
                BackfillOptions.apply(
                        spec(""),
                        config(
                                "backfill.tuning.parallelism", "3",
                                "backfill.tuning.batch-size", "11",
                                "backfill.tuning.split-rows", "12",
                                "backfill.tuning.checkpoint-interval", "2m",
                                "backfill.tuning.lock-timeout", "750ms",
                                "backfill.tuning.max-rows-per-second", "13",
                                "backfill.tuning.synchronous-commit", "true",
                                "backfill.tuning.throttle.max-latency-ratio", "1.5",
                                "backfill.tuning.throttle.max-replica-lag", "30s",
                                "backfill.tuning.throttle.max-active-sessions", "14",
                                "backfill.tuning.throttle.min-rows-per-second", "15"));
        TuningSpec t = applied.tuning();
        assertThat(t.parallelism()).isEqualTo(3);
        assertThat(t.batchSize()).isEqualTo(11);
        assertThat(t.splitRows()).isEqualTo(12);
        assertThat(t.checkpointInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(t.lockTimeout()).isEqualTo(Duration.ofMillis(750));
        assertThat(t.maxRowsPerSecond()).isEqualTo(13);
        assertThat(t.synchronousCommit()).isTrue();
        assertThat(t.throttle())
                .isEqualTo(new ThrottleSettings(true, 1.5, Duration.ofSeconds(30), 14, 15));
    }

    @Test
    void theThrottleSwitchAloneTurnsItOnOrOff() {
        JobSpec on = spec("tuning:\n  throttle:\n    max-latency-ratio: 3\n");
        ThrottleSettings off =
                BackfillOptions.apply(on, config("backfill.tuning.throttle.enabled", "off"))
                        .tuning()
                        .throttle();
        assertThat(off.enabled()).isFalse();
        assertThat(off.maxLatencyRatio()).as("the spec's setting is kept").isEqualTo(3.0);

        JobSpec specOff = spec("tuning:\n  throttle: off\n");
        ThrottleSettings setting =
                BackfillOptions.apply(
                                specOff, config("backfill.tuning.throttle.max-latency-ratio", "4"))
                        .tuning()
                        .throttle();
        assertThat(setting.enabled()).as("a setting does not switch it on").isFalse();
        assertThat(setting.maxLatencyRatio()).isEqualTo(4.0);

        ThrottleSettings switchedOn =
                BackfillOptions.apply(specOff, config("backfill.tuning.throttle.enabled", "true"))
                        .tuning()
                        .throttle();
        assertThat(switchedOn).isEqualTo(ThrottleSettings.defaults());
    }

    @Test
    void withoutTuningOptionsTheSpecIsUnchanged() {
        JobSpec spec = spec("tuning:\n  batch-size: 500\n");
        assertThat(BackfillOptions.apply(spec, config("parallelism.default", "8"))).isSameAs(spec);
        // A value equal to the spec's overrides nothing worth naming.
        JobSpec same = BackfillOptions.apply(spec, config("backfill.tuning.batch-size", "500"));
        assertThat(same.tuning().batchSize()).isEqualTo(500);
        assertThat(BackfillOptions.describe(spec, same)).isEmpty();
    }

    @Test
    void badValuesAreRefusedByTheSpecsRulesNamingTheKeyAndTheValue() {
        assertRefused(
                "backfill.tuning.batch-size",
                "abc",
                "expected a whole number from 1 to 100000, got \"abc\"");
        assertRefused(
                "backfill.tuning.batch-size",
                "0",
                "must be a whole number from 1 to 100000, got 0");
        assertRefused(
                "backfill.tuning.parallelism",
                "2000",
                "must be a whole number from 1 to 1024, got 2000");
        assertRefused(
                "backfill.tuning.split-rows",
                "",
                "expected a whole number of at least 1, got \"\"");
        assertRefused(
                "backfill.tuning.lock-timeout",
                "5 sec",
                "expected a duration: a whole number followed by ms, s, m or h, like 500ms, 5s,"
                        + " 2m or 1h, got \"5 sec\"");
        assertRefused(
                "backfill.tuning.checkpoint-interval", "5ms", "must be at least 10ms, got 5ms");
        assertRefused(
                "backfill.tuning.synchronous-commit", "yes", "expected true or false, got \"yes\"");
        assertRefused(
                "backfill.tuning.throttle.enabled",
                "maybe",
                "must be on, off, true or false, got \"maybe\"");
        assertRefused(
                "backfill.tuning.throttle.max-latency-ratio",
                "0.5",
                "must be a number over 1 and at most 1000, like 2 or 1.5, got 0.5");
        assertRefused(
                "backfill.tuning.max-rows-per-second",
                "-1",
                "must be a whole number of at least 0, got -1");
    }

    @Test
    void anUnknownTuningKeyIsRefusedListingTheOptions() {
        assertRefused(
                "backfill.tuning.batchsize",
                "10",
                "unknown option; the tuning options are "
                        + String.join(", ", BackfillOptions.fields().keySet()));
    }

    @Test
    void theOptionsCoverExactlyTheSpecsTuningFieldsWithItsDefaults() {
        assertThat(BackfillOptions.fields().values())
                .containsExactlyElementsOf(JobSpecParser.tuningFields());
        TuningSpec d = TuningSpec.defaults();
        ThrottleSettings td = d.throttle();
        List<Object> defaults =
                BackfillOptions.options().stream()
                        .map(ConfigOption::defaultValue)
                        .map(Object.class::cast)
                        .toList();
        assertThat(defaults)
                .containsExactly(
                        d.parallelism(),
                        d.batchSize(),
                        d.splitRows(),
                        d.checkpointInterval(),
                        d.lockTimeout(),
                        d.maxRowsPerSecond(),
                        td.enabled(),
                        td.maxLatencyRatio(),
                        td.maxReplicaLag(),
                        td.maxActiveSessions(),
                        td.minRowsPerSecond(),
                        d.synchronousCommit());
        for (ConfigOption<?> o : BackfillOptions.options()) {
            assertThat(o.key()).startsWith(BackfillOptions.PREFIX);
            assertThat(o.description().toString()).as(o.key()).isNotBlank();
        }
    }
}
