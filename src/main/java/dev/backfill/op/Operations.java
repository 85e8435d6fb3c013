package dev.backfill.op;

import dev.backfill.model.JobSpec;
import dev.backfill.op.addindex.AddIndexType;
import dev.backfill.op.modifycolumn.ModifyColumnType;

import org.apache.flink.annotation.Internal;
import org.apache.flink.util.Preconditions;

import java.util.EnumMap;
import java.util.Map;

/**
 * The registry of operations: one line per operation, from the spec's {@link JobSpec.Operation} to
 * its implementation. The lifecycle code asks here (and then the plan's {@link ReorgSteps}) instead
 * of asking which operation it runs; a new operation is a new package and a line here.
 */
@Internal
public final class Operations {
    private static final Map<JobSpec.Operation, OperationType> TYPES =
            new EnumMap<>(JobSpec.Operation.class);

    static {
        TYPES.put(JobSpec.Operation.ADD_INDEX, new AddIndexType());
        TYPES.put(JobSpec.Operation.MODIFY_COLUMN, new ModifyColumnType());
    }

    private Operations() {}

    /** The implementation of an operation. */
    public static OperationType of(JobSpec.Operation operation) {
        OperationType type = TYPES.get(Preconditions.checkNotNull(operation, "operation"));
        Preconditions.checkState(type != null, "operation %s is not registered", operation);
        return type;
    }

    /** The implementation of the spec's operation. */
    public static OperationType of(JobSpec spec) {
        return of(spec.operation());
    }
}
