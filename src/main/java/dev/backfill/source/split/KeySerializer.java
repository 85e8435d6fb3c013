package dev.backfill.source.split;

import dev.backfill.model.Key;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes and reads a {@link Key} as explicit, type-tagged fields. It has no version of its own: it
 * is the key part of the versioned formats of {@link BackfillSplitSerializer} and {@code
 * BackfillEnumStateSerializer}, which call it when Flink checkpoints the source readers' splits and
 * the enumerator's state. A change here is a change of those formats, so it needs a new version of
 * both.
 *
 * <p>Layout: the column count (int, at least 1), then per value a one-byte type tag and the value:
 *
 * <ul>
 *   <li>{@code 1} ({@link #TAG_LONG}): a {@link Long}, as 8 bytes (big-endian);
 *   <li>{@code 2} ({@link #TAG_STRING}): a {@link String}, as its UTF-8 byte count (int) then the
 *       bytes. Not {@code writeUTF}, whose 64 KiB limit a long text key could exceed, and whose
 *       modified UTF-8 is Java's own.
 * </ul>
 *
 * <p>Reserved tags, so that they are not given another meaning later: {@code 0} is never written
 * (zeroed or uninitialized bytes fail loudly instead of reading as a value); {@code 3} for raw
 * bytes ({@code bytea}); {@code 4} for a decimal ({@code numeric}) as unscaled bytes and scale;
 * {@code 5} for a {@code uuid} as two longs. Today those types travel as tag 2, in PostgreSQL's
 * text form.
 *
 * <p>The nullable form ({@link #writeNullable}, {@link #readNullable}) puts a presence byte before:
 * {@code 0} for null, {@code 1} followed by the key.
 */
@Internal
public final class KeySerializer {

    /** A {@link Long} value, written with {@code writeLong}. */
    public static final byte TAG_LONG = 1;

    /** A {@link String} value, written as a UTF-8 byte count (int) and the bytes. */
    public static final byte TAG_STRING = 2;

    // Reserved tags; never give them another meaning:
    //   0 = never written, so that zeroed bytes are rejected;
    //   3 = raw bytes (bytea), 4 = decimal (numeric), 5 = uuid, for future value types.

    private static final byte ABSENT = 0;
    private static final byte PRESENT = 1;

    /**
     * Strings are read in chunks of at most this size, so that a corrupt length prefix fails with
     * an EOFException when the bytes run out instead of first allocating up to 2 GiB.
     */
    private static final int READ_CHUNK = 64 * 1024;

    private KeySerializer() {}

    /** Writes a non-null key. */
    public static void write(Key key, DataOutputView out) throws IOException {
        if (key == null) {
            throw new IOException("cannot write a null key without the nullable form");
        }
        out.writeInt(key.size());
        for (int i = 0; i < key.size(); i++) {
            Object value = key.get(i);
            if (value instanceof Long) {
                out.writeByte(TAG_LONG);
                out.writeLong((Long) value);
            } else if (value instanceof String) {
                byte[] bytes = encodeUtf8((String) value, i, key.size());
                out.writeByte(TAG_STRING);
                out.writeInt(bytes.length);
                out.write(bytes);
            } else {
                // Key.of admits only Long and String; this guards against a new type added there
                // without a tag here.
                throw new IOException(
                        "key column "
                                + i
                                + " of "
                                + key.size()
                                + " has no type tag for "
                                + (value == null ? "null" : value.getClass().getName()));
            }
        }
    }

    /** Reads a key written by {@link #write}. */
    public static Key read(DataInputView in) throws IOException {
        int count = in.readInt();
        if (count < 1) {
            throw new IOException("invalid key column count " + count + ", expected at least 1");
        }
        // Grows with the values actually read rather than trusting a possibly corrupt count.
        List<Object> values = new ArrayList<>(Math.min(count, 8));
        for (int i = 0; i < count; i++) {
            byte tag = in.readByte();
            switch (tag) {
                case TAG_LONG:
                    values.add(in.readLong());
                    break;
                case TAG_STRING:
                    values.add(readString(in, i, count));
                    break;
                default:
                    throw new IOException(
                            "unknown key value type tag "
                                    + tag
                                    + " in key column "
                                    + i
                                    + " of "
                                    + count
                                    + " (known: 1 = Long, 2 = String)");
            }
        }
        return Key.of(values);
    }

    /** Writes a presence byte, then the key if it is not null. */
    public static void writeNullable(Key key, DataOutputView out) throws IOException {
        if (key == null) {
            out.writeByte(ABSENT);
        } else {
            out.writeByte(PRESENT);
            write(key, out);
        }
    }

    /** Reads a key written by {@link #writeNullable}; null when it was null. */
    public static Key readNullable(DataInputView in) throws IOException {
        byte presence = in.readByte();
        switch (presence) {
            case ABSENT:
                return null;
            case PRESENT:
                return read(in);
            default:
                throw new IOException(
                        "invalid key presence byte " + presence + ", expected 0 or 1");
        }
    }

    private static byte[] encodeUtf8(String value, int column, int count) throws IOException {
        // A strict encoder: String.getBytes would silently turn an unpaired surrogate into '?',
        // and a changed key bound would move the split's range.
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(value));
            return Arrays.copyOfRange(encoded.array(), encoded.position(), encoded.limit());
        } catch (CharacterCodingException e) {
            throw new IOException(
                    "key column " + column + " of " + count + " is not valid Unicode text", e);
        }
    }

    private static String readString(DataInputView in, int column, int count) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            throw new IOException(
                    "invalid string length "
                            + length
                            + " in key column "
                            + column
                            + " of "
                            + count);
        }
        byte[] bytes = new byte[Math.min(length, READ_CHUNK)];
        int read = 0;
        while (read < length) {
            if (read == bytes.length) {
                bytes = Arrays.copyOf(bytes, (int) Math.min(length, 2L * bytes.length));
            }
            int n = bytes.length - read;
            in.readFully(bytes, read, n);
            read += n;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new IOException(
                    "key column " + column + " of " + count + " is not valid UTF-8", e);
        }
    }
}
