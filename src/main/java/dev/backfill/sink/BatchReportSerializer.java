package dev.backfill.sink;

import org.apache.flink.annotation.Internal;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;

import java.io.IOException;

/**
 * The versioned serializer of {@link BatchReport}. Flink calls it when it checkpoints the reports
 * and when it sends them from the sink writers to the finalizer.
 *
 * <p>Version 1 layout: the subtask (int), the batch count (long), the rows written (long). Unknown
 * versions and trailing bytes are rejected, so that a miscounted report cannot pass for a good one.
 */
@Internal
public final class BatchReportSerializer implements SimpleVersionedSerializer<BatchReport> {

    /** Stateless, so one instance serves every sink. */
    public static final BatchReportSerializer INSTANCE = new BatchReportSerializer();

    /** The version written by {@link #serialize}. */
    public static final int CURRENT_VERSION = 1;

    @Override
    public int getVersion() {
        return CURRENT_VERSION;
    }

    @Override
    public byte[] serialize(BatchReport report) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(20);
        out.writeInt(report.subtask());
        out.writeLong(report.batches());
        out.writeLong(report.rowsWritten());
        return out.getCopyOfBuffer();
    }

    @Override
    public BatchReport deserialize(int version, byte[] serialized) throws IOException {
        if (version != CURRENT_VERSION) {
            throw new IOException(
                    "unknown BatchReport serializer version "
                            + version
                            + ", this build reads version "
                            + CURRENT_VERSION);
        }
        DataInputDeserializer in = new DataInputDeserializer(serialized);
        BatchReport report = new BatchReport(in.readInt(), in.readLong(), in.readLong());
        if (in.available() > 0) {
            throw new IOException(in.available() + " unexpected trailing bytes after " + report);
        }
        return report;
    }
}
