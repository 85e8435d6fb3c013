package dev.backfill.job;

import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;
import dev.backfill.source.RowBatchSerializer;
import dev.backfill.source.VersionedSnapshot;

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
 * Flink's serializer of {@link WriteBatch}, the operation's output ({@link WriteBatchTypeInfo}):
 * used when a batch crosses from the operation's task to the sink's, instead of Kryo.
 *
 * <p>Version 1 layout: the source batch as {@link RowBatchSerializer#write} writes it (version 1);
 * the failure (Flink's string form, null when the operation built the batch); then, only when there
 * is no failure, one output row per source row as {@link RowBatchSerializer#writeRow} writes it. A
 * failed batch has no output ({@link WriteBatch#failed} gives each row an empty one), so none is
 * written. A change of this layout, or of {@link RowBatchSerializer}'s, needs a new {@link
 * #CURRENT_VERSION}.
 */
@Internal
public final class WriteBatchSerializer extends TypeSerializerSingleton<WriteBatch> {
    private static final long serialVersionUID = 1L;

    /** Stateless, so one instance serves every task. */
    public static final WriteBatchSerializer INSTANCE = new WriteBatchSerializer();

    /** The version of the layout written by {@link #serialize}. */
    public static final int CURRENT_VERSION = 1;

    @Override
    public boolean isImmutableType() {
        // The value rows are String arrays, which copy() duplicates.
        return false;
    }

    /**
     * Null: a batch has no empty form, and {@link #deserialize(WriteBatch, DataInputView)} builds
     * one.
     */
    @Override
    public WriteBatch createInstance() {
        return null;
    }

    @Override
    public WriteBatch copy(WriteBatch from) {
        RowBatch source = RowBatchSerializer.INSTANCE.copy(from.source());
        if (from.failure() != null) {
            return WriteBatch.failed(source, from.failure());
        }
        List<String[]> output = new ArrayList<>(from.size());
        for (String[] row : from.output()) {
            output.add(row.clone());
        }
        return new WriteBatch(source, output);
    }

    @Override
    public WriteBatch copy(WriteBatch from, WriteBatch reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(WriteBatch batch, DataOutputView out) throws IOException {
        if (batch == null) {
            throw new IOException("cannot write a null WriteBatch");
        }
        RowBatchSerializer.write(batch.source(), out);
        StringValue.writeString(batch.failure(), out);
        if (batch.failure() == null) {
            for (String[] row : batch.output()) {
                RowBatchSerializer.writeRow(row, out);
            }
        }
    }

    @Override
    public WriteBatch deserialize(DataInputView in) throws IOException {
        RowBatch source = RowBatchSerializer.read(in);
        String failure = StringValue.readString(in);
        if (failure != null) {
            return WriteBatch.failed(source, failure);
        }
        List<String[]> output = new ArrayList<>(source.size());
        for (int i = 0; i < source.size(); i++) {
            output.add(
                    RowBatchSerializer.readRow(
                            in, "output row " + i + " of a batch of split " + source.splitId()));
        }
        return new WriteBatch(source, output);
    }

    @Override
    public WriteBatch deserialize(WriteBatch reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    @Override
    public TypeSerializerSnapshot<WriteBatch> snapshotConfiguration() {
        return new Snapshot();
    }

    /** The snapshot: no configuration, only the layout version ({@link VersionedSnapshot}). */
    public static final class Snapshot extends VersionedSnapshot<WriteBatch> {
        /** For Flink, which instantiates a snapshot before reading it. */
        public Snapshot() {
            super("WriteBatch", CURRENT_VERSION);
        }

        @Override
        public TypeSerializer<WriteBatch> restoreSerializer() {
            return INSTANCE;
        }
    }
}
