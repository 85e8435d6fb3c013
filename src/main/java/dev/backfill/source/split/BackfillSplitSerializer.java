package dev.backfill.source.split;

import dev.backfill.model.Key;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * The versioned serializer of {@link BackfillSplit}. Flink calls it (through the source's {@code
 * getSplitSerializer()}) when the source readers checkpoint their splits, and when splits travel
 * from the enumerator to the readers. {@code BackfillEnumStateSerializer} reuses {@link
 * #writeSplit} and {@link #readSplit} for the unassigned splits in the enumerator's checkpoint.
 *
 * <p>Version 1 layout: the physical table ({@code writeUTF}), the index (int), the start key
 * (nullable), the end key, the watermark (nullable); keys as {@link KeySerializer} writes them.
 * Unknown versions and trailing bytes are rejected: a split read wrongly would skip or repeat rows.
 */
@Internal
public final class BackfillSplitSerializer implements SimpleVersionedSerializer<BackfillSplit> {

    /** Stateless, so one instance serves every source. */
    public static final BackfillSplitSerializer INSTANCE = new BackfillSplitSerializer();

    /** The version written by {@link #serialize}. */
    public static final int CURRENT_VERSION = 1;

    @Override
    public int getVersion() {
        return CURRENT_VERSION;
    }

    @Override
    public byte[] serialize(BackfillSplit split) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        writeSplit(split, out);
        return out.getCopyOfBuffer();
    }

    @Override
    public BackfillSplit deserialize(int version, byte[] serialized) throws IOException {
        if (version != CURRENT_VERSION) {
            throw new IOException(
                    "unknown BackfillSplit serializer version "
                            + version
                            + ", this build reads version "
                            + CURRENT_VERSION);
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        BackfillSplit split = readSplit(in);
        if (in.available() > 0) {
            throw new IOException(
                    in.available() + " unexpected trailing bytes after split " + split.splitId());
        }
        return split;
    }

    /**
     * Writes the fields of a split in the version 1 layout, without a version number. For {@code
     * BackfillEnumStateSerializer}, so that a split's layout is written in one place only; if it
     * changes, both serializers need a new version.
     */
    public static void writeSplit(BackfillSplit split, DataOutputView out) throws IOException {
        out.writeUTF(split.physicalTable());
        out.writeInt(split.index());
        KeySerializer.writeNullable(split.start(), out);
        KeySerializer.write(split.end(), out);
        KeySerializer.writeNullable(split.watermark(), out);
    }

    /** Reads the fields written by {@link #writeSplit}. */
    public static BackfillSplit readSplit(DataInputView in) throws IOException {
        String physicalTable = in.readUTF();
        int index = in.readInt();
        Key start = KeySerializer.readNullable(in);
        Key end = KeySerializer.read(in);
        Key watermark = KeySerializer.readNullable(in);
        return new BackfillSplit(physicalTable, index, start, end, watermark);
    }
}
