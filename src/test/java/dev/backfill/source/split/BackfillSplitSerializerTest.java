package dev.backfill.source.split;

import dev.backfill.model.Key;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link BackfillSplitSerializer}. */
class BackfillSplitSerializerTest {

    private static final BackfillSplitSerializer SERIALIZER = BackfillSplitSerializer.INSTANCE;

    /**
     * The first split of a table, resumed: no start, a composite end and a watermark. Do not change
     * these bytes: version 1 savepoints hold them.
     */
    private static final BackfillSplit GOLDEN_RESUMED =
            new BackfillSplit("demo.orders", 3, null, Key.of(100L, "\u00e9"), Key.of(-2L, ""));

    private static final String GOLDEN_RESUMED_HEX =
            "000b 64656d6f2e6f7264657273" // "demo.orders"
                    + " 00000003" // index
                    + " 00" // start: null
                    + " 00000002 01 0000000000000064 02 00000002 c3a9" // end: (100, é)
                    + " 01 00000002 01 fffffffffffffffe 02 00000000"; // watermark: (-2, "")

    /** A later split not read yet: a start, a one-column end, no watermark. */
    private static final BackfillSplit GOLDEN_FRESH =
            new BackfillSplit("s.t", 1, Key.of(5L), Key.of(9L), null);

    private static final String GOLDEN_FRESH_HEX =
            "0003 732e74" // "s.t"
                    + " 00000001" // index
                    + " 01 00000001 01 0000000000000005" // start: 5
                    + " 00000001 01 0000000000000009" // end: 9
                    + " 00"; // watermark: null

    static Stream<Arguments> goldens() {
        return Stream.of(
                Arguments.of(GOLDEN_RESUMED, GOLDEN_RESUMED_HEX),
                Arguments.of(GOLDEN_FRESH, GOLDEN_FRESH_HEX));
    }

    static Stream<BackfillSplit> splits() {
        return Stream.of(
                GOLDEN_RESUMED,
                GOLDEN_FRESH,
                new BackfillSplit("public.t", 0, null, Key.of(1L), null),
                new BackfillSplit(
                        "public.t", 7, Key.of(Long.MIN_VALUE), Key.of(Long.MAX_VALUE), null),
                new BackfillSplit(
                        "public.t",
                        Integer.MAX_VALUE,
                        Key.of(-1L, "a"),
                        Key.of(Long.MAX_VALUE, "\ud83d\ude00"),
                        Key.of(0L, "")),
                new BackfillSplit(
                        "\u65e5\u672c.\u00e9t\u00e9",
                        2,
                        Key.of("", Long.MIN_VALUE),
                        Key.of("\u00e9t\u00e9", -1L),
                        Key.of("\u00e9", 0L)),
                new BackfillSplit(
                        "s.big",
                        4,
                        Key.of("a".repeat(70_000)),
                        Key.of("b".repeat(70_000)),
                        Key.of("ab".repeat(40_000))));
    }

    @Test
    void isVersion1() {
        assertThat(SERIALIZER.getVersion()).isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("splits")
    void roundTrips(BackfillSplit split) throws IOException {
        BackfillSplit copy =
                SERIALIZER.deserialize(SERIALIZER.getVersion(), SERIALIZER.serialize(split));
        assertThat(copy).isEqualTo(split);
        assertThat(copy.splitId()).isEqualTo(split.splitId());
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void writesGoldenBytes(BackfillSplit split, String golden) throws IOException {
        assertThat(HexFormat.of().formatHex(SERIALIZER.serialize(split)))
                .isEqualTo(golden.replace(" ", ""));
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void readsGoldenBytes(BackfillSplit split, String golden) throws IOException {
        assertThat(SERIALIZER.deserialize(1, hex(golden))).isEqualTo(split);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, -1, Integer.MAX_VALUE})
    void rejectsUnknownVersion(int version) {
        assertThatThrownBy(() -> SERIALIZER.deserialize(version, hex(GOLDEN_FRESH_HEX)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("version " + version);
    }

    @Test
    void rejectsTrailingByte() {
        byte[] bytes = hex(GOLDEN_FRESH_HEX + "00");
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("1 unexpected trailing bytes")
                .hasMessageContaining("s.t:1");
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void rejectsTruncatedBytes(BackfillSplit split, String golden) {
        byte[] bytes = hex(golden);
        for (int n = 0; n < bytes.length; n++) {
            byte[] prefix = Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> SERIALIZER.deserialize(1, prefix))
                    .as("prefix of %d bytes", n)
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void rejectsUnknownTypeTag() {
        // GOLDEN_FRESH with the end's tag changed from 1 (Long) to 9.
        byte[] bytes =
                hex(
                        "0003 732e74 00000001 01 00000001 01 0000000000000005"
                                + " 00000001 09 0000000000000009 00");
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown key value type tag 9");
    }

    @Test
    void rejectsInvalidPresenceByte() {
        // GOLDEN_FRESH with the watermark's presence byte changed from 0 to 2.
        byte[] bytes =
                hex(
                        "0003 732e74 00000001 01 00000001 01 0000000000000005"
                                + " 00000001 01 0000000000000009 02");
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid key presence byte 2");
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
