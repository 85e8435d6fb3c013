package dev.backfill.job;

import dev.backfill.model.WriteBatch;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * The Flink type of {@link WriteBatch}, the operation's output: one field, serialized by {@link
 * WriteBatchSerializer}, so that the job runs with generic types disabled and a batch never goes
 * through Kryo. {@link OperationFunction} declares it as its result type.
 */
@Internal
public final class WriteBatchTypeInfo extends TypeInformation<WriteBatch> {
    private static final long serialVersionUID = 1L;

    /** Stateless, so one instance serves every pipeline. */
    public static final WriteBatchTypeInfo INSTANCE = new WriteBatchTypeInfo();

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
    public Class<WriteBatch> getTypeClass() {
        return WriteBatch.class;
    }

    @Override
    public boolean isKeyType() {
        return false;
    }

    @Override
    public TypeSerializer<WriteBatch> createSerializer(SerializerConfig config) {
        return WriteBatchSerializer.INSTANCE;
    }

    @Override
    public String toString() {
        return "WriteBatch";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WriteBatchTypeInfo;
    }

    @Override
    public int hashCode() {
        return WriteBatchTypeInfo.class.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof WriteBatchTypeInfo;
    }
}
