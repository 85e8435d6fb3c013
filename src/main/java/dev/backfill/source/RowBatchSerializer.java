package dev.backfill.source;

import dev.backfill.model.Key;
import dev.backfill.model.RowBatch;
import dev.backfill.source.split.KeySerializer;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Flink's serializer of {@link RowBatch}, the source's record type ({@link RowBatchTypeInfo}): used
 * when a batch crosses from one task to another (unchained operators, a rebalance), instead of
 * Kryo's generic fallback. {@code job.WriteBatchSerializer} writes a batch's fields through {@link
 * #write} and {@link #read}.
 *
 * <p>Version 1 layout: the split id and the physical table (Flink's string form, {@link
 * StringValue#writeString}); the keys {@code from}, {@code to} and {@code after} in {@link
 * KeySerializer}'s nullable form; the last flag (boolean); the row count (int); then per row its
 * key ({@link KeySerializer#write}), its value count (int, 0 on the range path) and the values
 * (Flink's string form, which writes SQL NULL as null). A change of this layout needs a new {@link
 * #CURRENT_VERSION}, and a new version of {@code WriteBatchSerializer}, which embeds it.
 */
@Internal
public final class RowBatchSerializer extends TypeSerializerSingleton<RowBatch> {
    private static final long serialVersionUID = 1L;

    /** Stateless, so one instance serves every task. */
    public static final RowBatchSerializer INSTANCE = new RowBatchSerializer();

    /** The version of the layout written by {@link #serialize}. */
    public static final int CURRENT_VERSION = 1;

    @Override
    public boolean isImmutableType() {
        // The value rows are String arrays, which copy() duplicates.
        return false;
    }

    /**
     * Null: a batch has no empty form, and {@link #deserialize(RowBatch, DataInputView)} builds
     * one.
     */
    @Override
    public RowBatch createInstance() {
        return null;
    }

    @Override
    public RowBatch copy(RowBatch from) {
        return new RowBatch(
                from.splitId(),
                from.physicalTable(),
                from.from(),
                from.to(),
                from.after(),
                from.keys(),
                copyRows(from.values()),
                from.last());
    }

    @Override
    public RowBatch copy(RowBatch from, RowBatch reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(RowBatch batch, DataOutputView out) throws IOException {
        write(batch, out);
    }

    @Override
    public RowBatch deserialize(DataInputView in) throws IOException {
        return read(in);
    }

    @Override
    public RowBatch deserialize(RowBatch reuse, DataInputView in) throws IOException {
        return read(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        write(read(in), out);
    }

    @Override
    public TypeSerializerSnapshot<RowBatch> snapshotConfiguration() {
        return new Snapshot();
    }

    /** Writes a batch in the version 1 layout, without a version number. */
    public static void write(RowBatch batch, DataOutputView out) throws IOException {
        if (batch == null) {
            throw new IOException("cannot write a null RowBatch");
        }
        StringValue.writeString(batch.splitId(), out);
        StringValue.writeString(batch.physicalTable(), out);
        KeySerializer.writeNullable(batch.from(), out);
        KeySerializer.writeNullable(batch.to(), out);
        KeySerializer.writeNullable(batch.after(), out);
        out.writeBoolean(batch.last());
        out.writeInt(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            KeySerializer.write(batch.keys().get(i), out);
            writeRow(batch.values().get(i), out);
        }
    }

    /** Reads a batch written by {@link #write}. */
    public static RowBatch read(DataInputView in) throws IOException {
        String splitId = StringValue.readString(in);
        String physicalTable = StringValue.readString(in);
        if (splitId == null || physicalTable == null) {
            throw new IOException("invalid RowBatch: no split id or physical table");
        }
        Key from = KeySerializer.readNullable(in);
        Key to = KeySerializer.readNullable(in);
        Key after = KeySerializer.readNullable(in);
        boolean last = in.readBoolean();
        int rows = readCount(in, "row count of a batch of split " + splitId);
        // Grows with the rows actually read rather than trusting a possibly corrupt count.
        List<Key> keys = new ArrayList<>(Math.min(rows, 1024));
        List<String[]> values = new ArrayList<>(Math.min(rows, 1024));
        for (int i = 0; i < rows; i++) {
            keys.add(KeySerializer.read(in));
            values.add(readRow(in, "row " + i + " of a batch of split " + splitId));
        }
        try {
            return new RowBatch(splitId, physicalTable, from, to, after, keys, values, last);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid RowBatch: " + e.getMessage(), e);
        }
    }

    /** Writes one row of values: the count (int), then each value, null for SQL NULL. */
    public static void writeRow(String[] row, DataOutputView out) throws IOException {
        out.writeInt(row.length);
        for (String value : row) {
            StringValue.writeString(value, out);
        }
    }

    /** Reads a row written by {@link #writeRow}; {@code what} names it in an error. */
    public static String[] readRow(DataInputView in, String what) throws IOException {
        int n = readCount(in, "value count of " + what);
        List<String> row = new ArrayList<>(Math.min(n, 1024));
        for (int j = 0; j < n; j++) {
            row.add(StringValue.readString(in));
        }
        return row.toArray(new String[0]);
    }

    private static int readCount(DataInputView in, String what) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("invalid " + what + ": " + n);
        }
        return n;
    }

    private static List<String[]> copyRows(List<String[]> rows) {
        List<String[]> copy = new ArrayList<>(rows.size());
        for (String[] row : rows) {
            copy.add(row.clone());
        }
        return copy;
    }

    /** The snapshot: no configuration, only the layout version ({@link VersionedSnapshot}). */
    public static final class Snapshot extends VersionedSnapshot<RowBatch> {
        /** For Flink, which instantiates a snapshot before reading it. */
        public Snapshot() {
            super("RowBatch", CURRENT_VERSION);
        }

        @Override
        public TypeSerializer<RowBatch> restoreSerializer() {
            return INSTANCE;
        }
    }
}
