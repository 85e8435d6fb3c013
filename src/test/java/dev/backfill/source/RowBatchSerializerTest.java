package dev.backfill.source;

import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;

import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
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

/** Tests for {@link RowBatchSerializer} and {@link RowBatchTypeInfo}. */
class RowBatchSerializerTest {

    /** {@link #GOLDEN_BATCH} in the version 1 layout; do not change: it pins the format. */
    static final String GOLDEN_HEX =
            "03 7331" // split id "s1": Flink string form, length + 1, then the chars
                    + " 02 74" // physical table "t"
                    + " 01 00000002 01 0000000000000007 02 00000001 62" // from (7, b)
                    + " 01 00000002 01 0000000000000009 02 00000002 c3a9" // to (9, é)
                    + " 01 00000002 01 0000000000000007 02 00000001 62" // after = from
                    + " 01" // last
                    + " 00000002" // rows
                    + " 00000002 01 0000000000000008 02 00000001 61" // key (8, a)
                    + " 00000002 02 38 00" // values "8", NULL
                    + " 00000002 01 0000000000000009 02 00000002 c3a9" // key (9, é)
                    + " 00000002 03 78ac41 01"; // values "x€" (€ = 0x20ac as 7-bit groups), ""

    static final RowBatch GOLDEN_BATCH =
            new RowBatch(
                    "s1",
                    "t",
                    Key.of(7L, "b"),
                    Key.of(9L, "\u00e9"),
                    List.of(Key.of(8L, "a"), Key.of(9L, "\u00e9")),
                    List.of(new String[] {"8", null}, new String[] {"x\u20ac", ""}),
                    true);

    static RowBatch[] samples() {
        return RowBatches.samples();
    }

    @ParameterizedTest
    @MethodSource("samples")
    void roundTrips(RowBatch batch) throws IOException {
        RowBatch back = read(write(batch));
        assertThat(RowBatches.equal(back, batch))
                .as("%s read back as %s", RowBatches.describe(batch), RowBatches.describe(back))
                .isTrue();
    }

    @Test
    void roundTripsEveryFieldOfTheRangePath() throws IOException {
        RowBatch back = read(write(samples()[2]));
        assertThat(back.from()).isEqualTo(Key.of("2024-01-01", 5L));
        assertThat(back.after()).isEqualTo(Key.of("2024-01-01", 5L));
        assertThat(back.to()).isEqualTo(Key.of("2024-01-02", 1L));
        assertThat(back.keys().get(0).get(1)).isInstanceOf(Long.class);
        assertThat(back.values()).allSatisfy(row -> assertThat(row).isEmpty());
        assertThat(back.last()).isTrue();
    }

    @Test
    void roundTripsNullsAndTheStartOfAFirstPage() throws IOException {
        RowBatch back = read(write(samples()[1]));
        assertThat(back.from()).isNull();
        assertThat(back.after()).isEqualTo(Key.of(7L, "b"));
        assertThat(back.last()).isFalse();
        RowBatch first = read(write(samples()[0]));
        assertThat(first.after()).isNull();
        assertThat(first.values().get(1)).containsExactly(null, "2");
        assertThat(first.values().get(2)).containsExactly("", null);
        RowBatch closing = read(write(samples()[3]));
        assertThat(closing.to()).isNull();
        assertThat(closing.size()).isZero();
    }

    @Test
    void writesGoldenBytes() throws IOException {
        assertThat(HexFormat.of().formatHex(write(GOLDEN_BATCH)))
                .isEqualTo(GOLDEN_HEX.replace(" ", ""));
    }

    @Test
    void readsGoldenBytes() throws IOException {
        RowBatch back = read(hex(GOLDEN_HEX));
        assertThat(RowBatches.equal(back, GOLDEN_BATCH)).as(RowBatches.describe(back)).isTrue();
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
    void rejectsNegativeRowCount() {
        assertThatThrownBy(() -> read(hex("03 7331 02 74 00 00 00 00 ffffffff")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid row count of a batch of split s1: -1");
    }

    @Test
    void rejectsAWatermarkOtherThanTheRangeStart() {
        // from (1) and after (2) disagree: the constructor's check, as an IOException.
        String from = "01 00000001 01 0000000000000001";
        String after = "01 00000001 01 0000000000000002";
        assertThatThrownBy(
                        () -> read(hex("03 7331 02 74 " + from + " 00 " + after + " 00 00000000")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid RowBatch: batch of split s1 starts after 2");
    }

    @Test
    void copiesValueRows() {
        RowBatch batch = samples()[0];
        RowBatch copy = RowBatchSerializer.INSTANCE.copy(batch);
        assertThat(RowBatches.equal(copy, batch)).isTrue();
        assertThat(copy.values().get(0)).isNotSameAs(batch.values().get(0));
    }

    @Test
    void snapshotRestoresTheSerializerAndIsCompatibleWithItself() throws IOException {
        TypeSerializerSnapshot<RowBatch> snapshot =
                RowBatchSerializer.INSTANCE.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(16);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snapshot);
        TypeSerializerSnapshot<RowBatch> restored =
                TypeSerializerSnapshot.readVersionedSnapshot(
                        new DataInputDeserializer(out.getCopyOfBuffer()),
                        getClass().getClassLoader());
        assertThat(restored.getCurrentVersion()).isEqualTo(RowBatchSerializer.CURRENT_VERSION);
        assertThat(restored.restoreSerializer()).isSameAs(RowBatchSerializer.INSTANCE);
        TypeSerializerSchemaCompatibility<RowBatch> compatibility =
                RowBatchSerializer.INSTANCE
                        .snapshotConfiguration()
                        .resolveSchemaCompatibility(restored);
        assertThat(compatibility.isCompatibleAsIs()).isTrue();
    }

    @Test
    void snapshotRejectsAnUnknownVersion() {
        assertThatThrownBy(
                        () ->
                                new RowBatchSerializer.Snapshot()
                                        .readSnapshot(
                                                2,
                                                new DataInputDeserializer(new byte[0]),
                                                getClass().getClassLoader()))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown RowBatch serializer version 2");
    }

    @Test
    void typeInfoCreatesTheSerializerEvenWithGenericTypesDisabled() {
        SerializerConfigImpl config = new SerializerConfigImpl();
        config.setGenericTypes(false);
        assertThat(RowBatchTypeInfo.INSTANCE.createSerializer(config))
                .isSameAs(RowBatchSerializer.INSTANCE);
        assertThat(RowBatchTypeInfo.INSTANCE.getTypeClass()).isEqualTo(RowBatch.class);
    }

    private static byte[] write(RowBatch batch) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        RowBatchSerializer.INSTANCE.serialize(batch, out);
        return out.getCopyOfBuffer();
    }

    /** Reads one batch and checks that it used every byte. */
    private static RowBatch read(byte[] bytes) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        RowBatch batch = RowBatchSerializer.INSTANCE.deserialize(in);
        assertThat(in.available()).as("bytes left unread").isZero();
        return batch;
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
