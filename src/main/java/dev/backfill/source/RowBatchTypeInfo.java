package dev.backfill.source;

import dev.backfill.model.RowBatch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The Flink type of {@link RowBatch}, the source's record type: one field, serialized by {@link
 * RowBatchSerializer}, so that the job runs with generic types disabled and a batch never goes
 * through Kryo. {@code job.BackfillPipeline} declares the source with it.
 */
@Internal
public final class RowBatchTypeInfo extends TypeInformation<RowBatch> {
    private static final long serialVersionUID = 1L;

    /** Stateless, so one instance serves every pipeline. */
    public static final RowBatchTypeInfo INSTANCE = new RowBatchTypeInfo();

    @Override
    public boolean isBasicType() {
        return false;
    }

    @Override
    public boolean isTupleType() {
        return false;
    }

    @Override
    public int getArity() {
        return 1;
    }

    @Override
    public int getTotalFields() {
        return 1;
    }

    @Override
    public Class<RowBatch> getTypeClass() {
        return RowBatch.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<RowBatch> createSerializer(SerializerConfig config) {
        return RowBatchSerializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "RowBatch";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RowBatchTypeInfo;
    }

    @Override
    public int hashCode() {
        return RowBatchTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof RowBatchTypeInfo;
    }
}
