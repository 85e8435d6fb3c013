package dev.backfill.model;

import org.apache.flink.annotation.Internal;
import org.apache.flink.runtime.throwable.ThrowableAnnotation;
import org.apache.flink.runtime.throwable.ThrowableType;

/**
 * A reorg failed for a reason a restart cannot fix (a duplicate value on a unique index, a failed
 * verification). The reorg is already marked {@code failed} in the catalog with the same message.
 * Flink does not restart the job for it.
 */
@ThrowableAnnotation(ThrowableType.NonRecoverableError)
@Internal
public final class ReorgFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReorgFailedException(String message) {
        super(message);
    }
}
