package dev.backfill.source.split;

import dev.backfill.model.Key;

import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Tests for {@link KeySerializer}. */
class KeySerializerTest {

    /** {@code Key.of(Long.MIN_VALUE, "x€", Long.MAX_VALUE)}; do not change: savepoints hold it. */
    private static final String GOLDEN_KEY_HEX =
            "00000003" // column count
                    + " 01 8000000000000000" // Long.MIN_VALUE
                    + " 02 00000004 78e282ac" // "x€": 4 UTF-8 bytes
                    + " 01 7fffffffffffffff"; // Long.MAX_VALUE

    private static final Key GOLDEN_KEY = Key.of(Long.MIN_VALUE, "x\u20ac", Long.MAX_VALUE);

    static Stream<Key> keys() {
        return Stream.of(
                Key.of(0L),
                Key.of(-1L),
                Key.of(Long.MIN_VALUE),
                Key.of(Long.MAX_VALUE),
                Key.of(""),
                Key.of("plain ascii"),
                Key.of("\u00e9t\u00e9 \u65e5\u672c \ud83d\ude00"), // 2-, 3- and 4-byte UTF-8
                Key.of("\u0000nul inside"),
                Key.of(42L, "abc"),
                Key.of("abc", 42L),
                Key.of(-7L, "", Long.MAX_VALUE, "\ud83d\ude00", Long.MIN_VALUE),
                Key.of("2024-01-01 00:00:00+00", "550e8400-e29b-41d4-a716-446655440000"));
    }

    @ParameterizedTest
    @MethodSource("keys")
    void roundTrips(Key key) throws IOException {
        assertThat(read(write(key))).isEqualTo(key);
    }

    @ParameterizedTest
    @MethodSource("keys")
    void roundTripsNullable(Key key) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        KeySerializer.writeNullable(key, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        assertThat(KeySerializer.readNullable(in)).isEqualTo(key);
        assertThat(in.available()).isZero();
    }

    @Test
    void roundTripsNull() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        KeySerializer.writeNullable(null, out);
        assertThat(out.getCopyOfBuffer()).isEqualTo(hex("00"));
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        assertThat(KeySerializer.readNullable(in)).isNull();
        assertThat(in.available()).isZero();
    }

    @Test
    void keepsLongAndStringApart() throws IOException {
        Key key = read(write(Key.of(1L, "1")));
        assertThat(key.get(0)).isInstanceOf(Long.class).isEqualTo(1L);
        assertThat(key.get(1)).isInstanceOf(String.class).isEqualTo("1");
    }

    @Test
    void roundTripsStringsOver64KiB() throws IOException {
        // 80,000 and 300,000 UTF-8 bytes: past writeUTF's limit, and past the read chunk size.
        Key key = Key.of("\u0436".repeat(40_000), 1L, "\u20ac".repeat(100_000));
        assertThat(read(write(key))).isEqualTo(key);
    }

    @Test
    void writesGoldenBytes() throws IOException {
        assertThat(HexFormat.of().formatHex(write(GOLDEN_KEY)))
                .isEqualTo(GOLDEN_KEY_HEX.replace(" ", ""));
    }

    @Test
    void readsGoldenBytes() throws IOException {
        assertThat(read(hex(GOLDEN_KEY_HEX))).isEqualTo(GOLDEN_KEY);
    }

    @Test
    void writesAndReadsGoldenNullableBytes() throws IOException {
        String golden = "01 00000001 01 0000000000000007";
        DataOutputSerializer out = new DataOutputSerializer(16);
        KeySerializer.writeNullable(Key.of(7L), out);
        assertThat(HexFormat.of().formatHex(out.getCopyOfBuffer()))
                .isEqualTo(golden.replace(" ", ""));
        assertThat(KeySerializer.readNullable(new DataInputDeserializer(hex(golden))))
                .isEqualTo(Key.of(7L));
    }

    @Test
    void rejectsTruncatedBytes() {
        byte[] golden = hex(GOLDEN_KEY_HEX);
        for (int n = 0; n < golden.length; n++) {
            byte[] prefix = Arrays.copyOf(golden, n);
            assertThatThrownBy(() -> read(prefix))
                    .as("prefix of %d bytes", n)
                    .isInstanceOf(IOException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"00", "03", "04", "05", "7f", "ff"})
    void rejectsUnknownTypeTag(String tag) {
        byte[] bytes = hex("00000002 01 0000000000000001 " + tag + " 0000000000000002");
        assertThatThrownBy(() -> read(bytes))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(
                        "unknown key value type tag " + (byte) Integer.parseInt(tag, 16))
                .hasMessageContaining("key column 1 of 2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"00000000", "ffffffff", "80000000"})
    void rejectsInvalidColumnCount(String count) {
        assertThatThrownBy(() -> read(hex(count + " 01 0000000000000001")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid key column count");
    }

    @Test
    void rejectsNegativeStringLength() {
        assertThatThrownBy(() -> read(hex("00000001 02 ffffffff 00")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid string length -1");
    }

    @Test
    void rejectsHugeStringLengthWithoutAllocatingIt() {
        // A corrupt length of 2 GiB - 1 with three bytes behind it must run out of bytes, not
        // memory.
        assertThatThrownBy(() -> read(hex("00000001 02 7fffffff 616263")))
                .isInstanceOf(EOFException.class);
    }

    @Test
    void rejectsInvalidUtf8() {
        assertThatThrownBy(() -> read(hex("00000001 02 00000002 c328")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not valid UTF-8");
    }

    @Test
    void refusesToWriteUnpairedSurrogate() {
        assertThatThrownBy(() -> write(Key.of("a\ud800b")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("not valid Unicode");
    }

    @Test
    void refusesToWriteNullWithoutNullableForm() {
        assertThatThrownBy(() -> KeySerializer.write(null, new DataOutputSerializer(8)))
                .isInstanceOf(IOException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"02", "ff"})
    void rejectsInvalidPresenceByte(String presence) {
        byte[] bytes = hex(presence + " 00000001 01 0000000000000007");
        assertThatThrownBy(() -> KeySerializer.readNullable(new DataInputDeserializer(bytes)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("invalid key presence byte");
    }

    private static byte[] write(Key key) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(16);
        KeySerializer.write(key, out);
        return out.getCopyOfBuffer();
    }

    /** Reads one key and checks that it used every byte. */
    private static Key read(byte[] bytes) throws IOException {
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        Key key = KeySerializer.read(in);
        assertThat(in.available()).as("bytes left unread").isZero();
        return key;
    }

    private static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", ""));
    }
}
