package dev.backfill.job;

import dev.backfill.db.TestingPostgres;
import dev.backfill.model.JobSpec;
import dev.backfill.model.RowBatch;
import dev.backfill.reorg.ReorgSetup;
import dev.backfill.sink.LogCapture;
import dev.backfill.source.RowBatchSerializer;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.typeutils.TypeExtractor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.test.junit5.MiniClusterExtension;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.config.Configurator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import javax.sql.DataSource;

import java.util.List;
import java.util.Map;

import static dev.backfill.job.TestingReorgs.count;
import static dev.backfill.job.TestingReorgs.except;
import static dev.backfill.job.TestingReorgs.strings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The pipeline's records have Flink types of their own (RowBatchTypeInfo, WriteBatchTypeInfo): a
 * reorg runs on the MiniCluster with generic types disabled ({@link PipelineOptions#GENERIC_TYPES}
 * false: a Kryo-typed record fails the job) and with operator chaining disabled, so that every
 * batch crosses from the source's task to the operation's and on to the sink's through
 * RowBatchSerializer and WriteBatchSerializer. Flink's TypeExtractor logs no "processed as
 * GenericType" for either type.
 */
class TypedRecordsITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(4)
                            .build());

    private static final String TYPE_EXTRACTOR = TypeExtractor.class.getName();

    /** The tests' log configuration keeps Flink at WARN; the GenericType line is INFO. */
    @BeforeAll
    static void logTypeExtraction() {
        Configurator.setLevel(TYPE_EXTRACTOR, Level.INFO);
    }

    @AfterAll
    static void restoreLogLevel() {
        Configurator.setLevel(TYPE_EXTRACTOR, Level.WARN);
    }

    @Test
    void addIndexOverACompositeKeyRunsWithoutGenericTypesAndUnchained() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "typed_add_index",
                        "CREATE TABLE events (tenant bigint, name text, note text,"
                                + " PRIMARY KEY (tenant, name))",
                        // NULL notes, an empty one, multi-byte text; 3 tenants x 2000 names.
                        "INSERT INTO events SELECT t, 'n\u00e9' || n, CASE WHEN n % 7 = 0 THEN NULL"
                                + " WHEN n % 11 = 0 THEN '' ELSE 'note \u20ac' || n END"
                                + " FROM generate_series(1, 3) t, generate_series(1, 2000) n");
        JobSpec spec =
                TestingReorgs.addIndexSpec(
                        "typed_add_index",
                        "events",
                        "events_note",
                        "note",
                        false,
                        "  parallelism: 2\n  batch-size: 300\n  split-rows: 1000\n"
                                + "  checkpoint-interval: 1s\n");

        List<String> genericTypeLines = runTyped(spec);

        assertThat(genericTypeLines).isEmpty();
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state)
                .isEqualTo(dev.backfill.db.Catalog.State.PUBLIC);
        String table = "SELECT note, tenant, name FROM events";
        String index = "SELECT note, tenant, name FROM events_note";
        assertThat(except(ds, table, index)).isZero();
        assertThat(except(ds, index, table)).isZero();
        assertThat(count(ds, "SELECT count(*) FROM events_note")).isEqualTo(6000);
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 6000);
    }

    @Test
    void modifyColumnOnTheRangePathRunsWithoutGenericTypesAndUnchained() throws Exception {
        DataSource ds =
                TestingReorgs.database(
                        "typed_modify_column",
                        "CREATE TABLE items (id bigint PRIMARY KEY, qty integer)",
                        "INSERT INTO items SELECT n, CASE WHEN n % 5 = 0 THEN NULL ELSE n * 3 END"
                                + " FROM generate_series(1, 5000) n",
                        "CREATE TABLE offline AS SELECT * FROM items",
                        "ALTER TABLE offline ALTER COLUMN qty TYPE bigint");
        String yaml =
                "reorg: typed_modify_column\ndatabase:\n  url: "
                        + TestingPostgres.get().jdbcUrl("typed_modify_column")
                        + "\n  user: postgres\ntable: items\nmodify-column:\n"
                        + "  column: qty\n  type: bigint\n"
                        + "tuning:\n  parallelism: 2\n  batch-size: 300\n  split-rows: 1000\n"
                        + "  checkpoint-interval: 1s\n";
        JobSpec spec = JobSpecParser.parse(yaml, "typed_modify_column.yaml", Map.of());

        List<String> genericTypeLines = runTyped(spec);

        assertThat(genericTypeLines).isEmpty();
        assertThat(TestingReorgs.reorg(ds, spec.reorgId()).state)
                .isEqualTo(dev.backfill.db.Catalog.State.PUBLIC);
        assertThat(
                        strings(
                                ds,
                                "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
                                        + " WHERE attrelid = 'items'::regclass"
                                        + " AND attname = 'qty'"))
                .containsExactly("bigint");
        assertThat(except(ds, "SELECT id, qty FROM items", "SELECT id, qty FROM offline")).isZero();
        assertThat(except(ds, "SELECT id, qty FROM offline", "SELECT id, qty FROM items")).isZero();
        // The 1000 NULL quantities are already right in the new column: skipped, not written.
        TestingReorgs.assertExactRun(ds, spec.reorgId(), 5000, 4000);
    }

    @Test
    void kryosGenericTypeIsRefusedInThisEnvironment() {
        // The control: the environment of these tests does refuse what the pipeline used before.
        StreamExecutionEnvironment env = typedEnvironment(2);
        assertThat(env.getConfig().getSerializerConfig().hasGenericTypesDisabled()).isTrue();
        assertThatThrownBy(
                        () ->
                                TypeInformation.of(RowBatch.class)
                                        .createSerializer(env.getConfig().getSerializerConfig()))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("Generic types have been disabled");
    }

    /**
     * Prepares and runs the reorg in a typed, unchained environment; returns the TypeExtractor's
     * log lines about RowBatch or WriteBatch being processed as a generic type.
     */
    private static List<String> runTyped(JobSpec spec) throws Exception {
        try (LogCapture log = LogCapture.attach(TYPE_EXTRACTOR)) {
            ReorgSetup.Outcome out = ReorgSetup.run(spec);
            assertThat(out.plan).as("the reorg was prepared").isNotNull();
            StreamExecutionEnvironment env = typedEnvironment(spec.tuning().parallelism());
            env.enableCheckpointing(spec.tuning().checkpointInterval().toMillis());
            BackfillPipeline.build(env, out.plan);
            StreamGraph graph = env.getStreamGraph(false);
            assertThat(graph.isChainingEnabled()).as("operator chaining").isFalse();
            // The source's and the operation's outputs go through the batches' own serializers.
            assertThat(graph.getStreamNodes())
                    .extracting(StreamNode::getTypeSerializerOut)
                    .contains(RowBatchSerializer.INSTANCE, WriteBatchSerializer.INSTANCE);
            env.execute(BackfillPipeline.jobName(out.plan));
            return log.messages(Level.INFO).stream()
                    .filter(m -> m.contains("GenericType"))
                    .filter(m -> m.contains("RowBatch") || m.contains("WriteBatch"))
                    .toList();
        }
    }

    private static StreamExecutionEnvironment typedEnvironment(int parallelism) {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(parallelism);
        env.disableOperatorChaining();
        return env;
    }
}
