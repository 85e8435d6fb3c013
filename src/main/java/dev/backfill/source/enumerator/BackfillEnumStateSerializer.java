package dev.backfill.source.enumerator;

import dev.backfill.model.Key;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;
import dev.backfill.source.split.BackfillSplit;
import dev.backfill.source.split.BackfillSplitSerializer;
import dev.backfill.source.split.KeySerializer;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The versioned serializer of {@link BackfillEnumState}. Flink calls it (through the source's
 * {@code getEnumeratorCheckpointSerializer()}) when it checkpoints the enumerator and when it
 * restores the enumerator from a checkpoint or savepoint.
 *
 * <p>Version 1 layout: the count of unassigned splits (int), each split as {@link
 * BackfillSplitSerializer#writeSplit} writes it; then the count of splitter positions (int), each
 * as the physical table ({@code writeUTF}), the next index (int), the last end key (nullable, as
 * {@link KeySerializer} writes it) and the finished flag (one byte, 0 or 1). Unknown versions and
 * trailing bytes are rejected: never restore an empty or partial state, which would cut the same
 * key ranges again or skip some.
 */
@Internal
public final class BackfillEnumStateSerializer
        implements SimpleVersionedSerializer<BackfillEnumState> {

    /** Stateless, so one instance serves every source. */
    public static final BackfillEnumStateSerializer INSTANCE = new BackfillEnumStateSerializer();

    /** The version written by {@link #serialize}. */
    public static final int CURRENT_VERSION = 1;

    @Override
    public int getVersion() {
        return CURRENT_VERSION;
    }

    @Override
    public byte[] serialize(BackfillEnumState state) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(256);
        out.writeInt(state.unassigned().size());
        for (BackfillSplit split : state.unassigned()) {
            BackfillSplitSerializer.writeSplit(split, out);
        }
        out.writeInt(state.positions().size());
        for (SplitterPosition position : state.positions()) {
            out.writeUTF(position.physicalTable());
            out.writeInt(position.nextIndex());
            KeySerializer.writeNullable(position.lastEnd(), out);
            out.writeBoolean(position.finished());
        }
        return out.getCopyOfBuffer();
    }

    @Override
    public BackfillEnumState deserialize(int version, byte[] serialized) throws IOException {
        if (version != CURRENT_VERSION) {
            throw new IOException(
                    "unknown BackfillEnumState serializer version "
                            + version
                            + ", this build reads version "
                            + CURRENT_VERSION);
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);

        int splitCount = readCount(in, "unassigned split");
        // Grows with the entries actually read rather than trusting a possibly corrupt count.
        List<BackfillSplit> unassigned = new ArrayList<>(Math.min(splitCount, 64));
        for (int i = 0; i < splitCount; i++) {
            unassigned.add(BackfillSplitSerializer.readSplit(in));
        }

        int positionCount = readCount(in, "splitter position");
        List<SplitterPosition> positions = new ArrayList<>(Math.min(positionCount, 64));
        for (int i = 0; i < positionCount; i++) {
            String physicalTable = in.readUTF();
            int nextIndex = in.readInt();
            Key lastEnd = KeySerializer.readNullable(in);
            boolean finished = readFinished(in, physicalTable);
            positions.add(new SplitterPosition(physicalTable, nextIndex, lastEnd, finished));
        }

        if (in.available() > 0) {
            throw new IOException(
                    in.available() + " unexpected trailing bytes after the enumerator state");
        }
        return new BackfillEnumState(unassigned, positions);
    }

    private static int readCount(DataInputDeserializer in, String what) throws IOException {
        int count = in.readInt();
        if (count < 0) {
            throw new IOException("invalid " + what + " count " + count);
        }
        return count;
    }

    /** Strict, unlike {@code readBoolean}: any byte but 0 or 1 means the bytes are corrupt. */
    private static boolean readFinished(DataInputDeserializer in, String physicalTable)
            throws IOException {
        byte b = in.readByte();
        if (b != 0 && b != 1) {
            throw new IOException(
                    "invalid finished flag "
                            + b
                            + " in the splitter position of "
                            + physicalTable
                            + ", expected 0 or 1");
        }
        return b == 1;
    }
}
