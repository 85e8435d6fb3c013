package dev.backfill.sink;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link BatchReportSerializer}. */
class BatchReportSerializerTest {

    private static final BatchReportSerializer SERIALIZER = BatchReportSerializer.INSTANCE;

    /** Do not change these bytes: version 1 checkpoints hold them. */
    private static final BatchReport GOLDEN = new BatchReport(2, 5L, 1000L);

    private static final String GOLDEN_HEX =
            "00000002" // subtask
                    + " 0000000000000005" // batches
                    + " 00000000000003e8"; // rows written: 1000

    static Stream<BatchReport> reports() {
        return Stream.of(
                GOLDEN,
                new BatchReport(0, 0L, 0L),
                new BatchReport(Integer.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE),
                // Nonsense as a report, but the serializer carries values, it does not judge them.
                new BatchReport(-1, Long.MIN_VALUE, -1L));
    }

    @Test
    void isVersion1() {
        assertThat(SERIALIZER.getVersion()).isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("reports")
    void roundTrips(BatchReport report) throws IOException {
        assertThat(SERIALIZER.deserialize(SERIALIZER.getVersion(), SERIALIZER.serialize(report)))
                .isEqualTo(report);
    }

    @Test
    void writesGoldenBytes() throws IOException {
        assertThat(HexFormat.of().formatHex(SERIALIZER.serialize(GOLDEN)))
                .isEqualTo(GOLDEN_HEX.replace(" ", ""));
    }

    @Test
    void readsGoldenBytes() throws IOException {
        assertThat(SERIALIZER.deserialize(1, hex(GOLDEN_HEX))).isEqualTo(GOLDEN);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, -1})
    void rejectsUnknownVersion(int version) {
        assertThatThrownBy(() -> SERIALIZER.deserialize(version, hex(GOLDEN_HEX)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("version " + version);
    }

    @Test
    void rejectsTrailingByte() {
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, hex(GOLDEN_HEX + "00")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("1 unexpected trailing bytes");
    }

    @Test
    void rejectsTruncatedBytes() {
        byte[] bytes = hex(GOLDEN_HEX);
        for (int n = 0; n < bytes.length; n++) {
            byte[] prefix = Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> SERIALIZER.deserialize(1, prefix))
                    .as("prefix of %d bytes", n)
                    .isInstanceOf(IOException.class);
        }
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
