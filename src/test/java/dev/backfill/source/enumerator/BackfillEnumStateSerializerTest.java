package dev.backfill.source.enumerator;

import dev.backfill.model.Key;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;
import dev.backfill.source.split.BackfillSplit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link BackfillEnumStateSerializer}. */
class BackfillEnumStateSerializerTest {

    private static final BackfillEnumStateSerializer SERIALIZER =
            BackfillEnumStateSerializer.INSTANCE;

    private static final BackfillEnumState EMPTY = new BackfillEnumState(List.of(), List.of());

    private static final String EMPTY_HEX = "00000000 00000000";

    /** Do not change these bytes: version 1 savepoints hold them. */
    private static final BackfillEnumState GOLDEN =
            new BackfillEnumState(
                    List.of(new BackfillSplit("s.t", 1, Key.of(5L), Key.of(9L), null)),
                    List.of(
                            new SplitterPosition("s.t", 2, Key.of(9L), true),
                            new SplitterPosition("s.u", 0, null, false)));

    private static final String GOLDEN_HEX =
            "00000001" // one unassigned split
                    // "s.t":1, start 5, end 9, no watermark
                    + " 0003 732e74 00000001 01 00000001 01 0000000000000005"
                    + " 00000001 01 0000000000000009 00"
                    + " 00000002" // two splitter positions
                    + " 0003 732e74 00000002 01 00000001 01 0000000000000009 01" // s.t@2/9 done
                    + " 0003 732e75 00000000 00 00"; // s.u@0/null

    static Stream<Arguments> goldens() {
        return Stream.of(Arguments.of(GOLDEN, GOLDEN_HEX), Arguments.of(EMPTY, EMPTY_HEX));
    }

    static Stream<BackfillEnumState> states() {
        List<BackfillSplit> many = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            many.add(
                    new BackfillSplit(
                            "big.t",
                            i,
                            i == 0 ? null : Key.of((long) i * 1000, "k" + i),
                            Key.of((long) (i + 1) * 1000, "k" + (i + 1)),
                            i % 3 == 0 ? Key.of((long) i * 1000 + 5, "w") : null));
        }
        return Stream.of(
                EMPTY,
                GOLDEN,
                new BackfillEnumState(
                        List.of(), List.of(new SplitterPosition("only.positions", 0, null, false))),
                new BackfillEnumState(
                        List.of(
                                new BackfillSplit(
                                        "\u65e5\u672c.t",
                                        0,
                                        null,
                                        Key.of(Long.MAX_VALUE, "\ud83d\ude00"),
                                        Key.of(Long.MIN_VALUE, ""))),
                        List.of()),
                new BackfillEnumState(
                        many,
                        List.of(
                                new SplitterPosition("big.t", 500, Key.of(500_000L, "k500"), false),
                                new SplitterPosition(
                                        "big.u", Integer.MAX_VALUE, Key.of(-1L, ""), true),
                                new SplitterPosition(
                                        "big.v", 1, Key.of("x".repeat(70_000)), true))));
    }

    @Test
    void isVersion1() {
        assertThat(SERIALIZER.getVersion()).isEqualTo(1);
    }

    @ParameterizedTest
    @MethodSource("states")
    void roundTrips(BackfillEnumState state) throws IOException {
        assertThat(SERIALIZER.deserialize(SERIALIZER.getVersion(), SERIALIZER.serialize(state)))
                .isEqualTo(state);
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void writesGoldenBytes(BackfillEnumState state, String golden) throws IOException {
        assertThat(HexFormat.of().formatHex(SERIALIZER.serialize(state)))
                .isEqualTo(golden.replace(" ", ""));
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void readsGoldenBytes(BackfillEnumState state, String golden) throws IOException {
        assertThat(SERIALIZER.deserialize(1, hex(golden))).isEqualTo(state);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 2, -1})
    void rejectsUnknownVersion(int version) {
        assertThatThrownBy(() -> SERIALIZER.deserialize(version, hex(EMPTY_HEX)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("version " + version);
    }

    @Test
    void rejectsTrailingByte() {
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, hex(GOLDEN_HEX + "00")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("1 unexpected trailing bytes");
    }

    @ParameterizedTest
    @MethodSource("goldens")
    void rejectsTruncatedBytes(BackfillEnumState state, String golden) {
        byte[] bytes = hex(golden);
        for (int n = 0; n < bytes.length; n++) {
            byte[] prefix = Arrays.copyOf(bytes, n);
            assertThatThrownBy(() -> SERIALIZER.deserialize(1, prefix))
                    .as("prefix of %d bytes", n)
                    .isInstanceOf(IOException.class);
        }
    }

    @Test
    void rejectsUnknownTypeTagInSplit() {
        // GOLDEN with the unassigned split's start tag changed from 1 (Long) to 0 (reserved).
        byte[] bytes =
                hex(
                        "00000001 0003 732e74 00000001 01 00000001 00 0000000000000005"
                                + " 00000001 01 0000000000000009 00"
                                + " 00000000");
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown key value type tag 0");
    }

    @Test
    void rejectsUnknownTypeTagInPosition() {
        // A position whose last end has tag 3 (reserved for bytea, not implemented).
        byte[] bytes = hex("00000000 00000001 0003 732e74 00000002 01 00000001 03 00000000 01");
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("unknown key value type tag 3");
    }

    @Test
    void rejectsNegativeCounts() {
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, hex("ffffffff 00000000")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid unassigned split count -1");
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, hex("00000000 80000000")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid splitter position count");
    }

    @Test
    void rejectsInvalidFinishedFlag() {
        byte[] bytes = hex("00000000 00000001 0003 732e75 00000000 00 02");
        assertThatThrownBy(() -> SERIALIZER.deserialize(1, bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid finished flag 2")
                .hasMessageContaining("s.u");
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
