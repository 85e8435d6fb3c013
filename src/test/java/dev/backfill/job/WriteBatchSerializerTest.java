package dev.backfill.job;

import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link WriteBatchSerializer} and {@link WriteBatchTypeInfo}. */
class WriteBatchSerializerTest {

    /** The source batch of the golden write batches, in RowBatchSerializer's version 1 layout. */
    private static final String GOLDEN_SOURCE_HEX =
            "03 7331" // split id "s1"
                    + " 02 74" // physical table "t"
                    + " 00" // from: null
                    + " 01 00000001 01 0000000000000005" // to 5
                    + " 00" // after: null
                    + " 00" // not last
                    + " 00000001" // rows
                    + " 00000001 01 0000000000000005" // key 5
                    + " 00000001 02 76"; // values "v"

    /** {@link #GOLDEN_SOURCE} with output ["V", NULL]; do not change: it pins the format. */
    static final String GOLDEN_HEX =
            GOLDEN_SOURCE_HEX
                    + " 00" // failure: null
                    + " 00000002 02 56 00"; // output row: "V", NULL

    /** {@link #GOLDEN_SOURCE} failed with "no": the failure, and no output rows. */
    static final String GOLDEN_FAILED_HEX = GOLDEN_SOURCE_HEX + " 03 6e6f";

    private static final RowBatch GOLDEN_SOURCE =
            new RowBatch(
                    "s1",
                    "t",
                    null,
                    Key.of(5L),
                    null,
                    List.of(Key.of(5L)),
                    List.<String[]>of(new String[] {"v"}),
                    false);

    static WriteBatch[] samples() {
        return WriteBatches.samples();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void roundTrips(WriteBatch batch) throws IOException {
        WriteBatch back = read(write(batch));
        assertThat(WriteBatches.equal(back, batch))
                .as("%s read back as %s", WriteBatches.describe(batch), WriteBatches.describe(back))
                .isTrue();
    }

    @Test
    void roundTripsAFailure() throws IOException {
        WriteBatch back = read(write(WriteBatch.failed(GOLDEN_SOURCE, "no")));
        assertThat(back.failure()).isEqualTo("no");
        assertThat(back.output()).singleElement().satisfies(row -> assertThat(row).isEmpty());
    }

    @Test
    void writesGoldenBytes() throws IOException {
        WriteBatch batch =
                new WriteBatch(GOLDEN_SOURCE, List.<String[]>of(new String[] {"V", null}));
        assertThat(HexFormat.of().formatHex(write(batch))).isEqualTo(GOLDEN_HEX.replace(" ", ""));
        assertThat(HexFormat.of().formatHex(write(WriteBatch.failed(GOLDEN_SOURCE, "no"))))
                .isEqualTo(GOLDEN_FAILED_HEX.replace(" ", ""));
    }

    @Test
    void readsGoldenBytes() throws IOException {
        WriteBatch back = read(hex(GOLDEN_HEX));
        assertThat(back.failure()).isNull();
        assertThat(back.keys()).containsExactly(Key.of(5L));
        assertThat(back.expected())
                .singleElement()
                .satisfies(r -> assertThat(r).containsExactly("v"));
        assertThat(back.output())
                .singleElement()
                .satisfies(r -> assertThat(r).containsExactly("V", null));
        WriteBatch failed = read(hex(GOLDEN_FAILED_HEX));
        assertThat(failed.failure()).isEqualTo("no");
        assertThat(failed.splitId()).isEqualTo("s1");
    }

    @Test
    void rejectsTruncatedBytes() {
        byte[] golden = hex(GOLDEN_HEX);
        for (int n = 0; n < golden.length; n++) {
            byte[] prefix = Arrays.copyOf(golden, n);
            assertThatThrownBy(() -> read(prefix))
                    .as("prefix of %d bytes", n)
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void copiesOutputRows() {
        WriteBatch batch = samples()[0];
        WriteBatch copy = WriteBatchSerializer.INSTANCE.copy(batch);
        assertThat(WriteBatches.equal(copy, batch)).isTrue();
        assertThat(copy.output().get(0)).isNotSameAs(batch.output().get(0));
    }

    @Test
    void snapshotRestoresTheSerializerAndIsCompatibleWithItself() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        TypeSerializerSnapshot.writeVersionedSnapshot(
                out, WriteBatchSerializer.INSTANCE.snapshotConfiguration());
        TypeSerializerSnapshot<WriteBatch> restored =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(out.getCopyOfBuffer()),
                        getClass().getClassLoader());
        assertThat(restored.getCurrentVersion()).isEqualTo(WriteBatchSerializer.CURRENT_VERSION);
        assertThat(restored.restoreSerializer()).isSameAs(WriteBatchSerializer.INSTANCE);
        assertThat(
                        WriteBatchSerializer.INSTANCE
                                .snapshotConfiguration()
                                .resolveSchemaCompatibility(restored)
                                .isCompatibleAsIs())
                .isTrue();
    }

    @Test
    void snapshotRejectsAnUnknownVersion() {
        assertThatThrownBy(
                        () ->
                                new WriteBatchSerializer.Snapshot()
                                        .readSnapshot(
                                                2,
                                                new DataInputDeserializer(new byte[0]),
                                                getClass().getClassLoader()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown WriteBatch serializer version 2");
    }

    @Test
    void operationFunctionDeclaresTheTypeEvenWithGenericTypesDisabled() {
        assertThat(new OperationFunction(null).getProducedType())
                .isEqualTo(WriteBatchTypeInfo.INSTANCE);
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        assertThat(WriteBatchTypeInfo.INSTANCE.createSerializer(config))
                .isSameAs(WriteBatchSerializer.INSTANCE);
    }

    private static byte[] write(WriteBatch batch) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        WriteBatchSerializer.INSTANCE.serialize(batch, out);
        return out.getCopyOfBuffer();
    }

    /** Reads one batch and checks that it used every byte. */
    private static WriteBatch read(byte[] bytes) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        WriteBatch batch = WriteBatchSerializer.INSTANCE.deserialize(in);
        assertThat(in.available()).as("bytes left unread").isZero();
        return batch;
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
