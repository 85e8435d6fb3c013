package dev.backfill.source;

import org.apache.flink.annotation.Internal;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * The snapshot of a record serializer with no configuration, only its layout version: a savepoint
 * or a restored task with another version is reported incompatible rather than read wrongly, and an
 * unknown version is refused. Each serializer's {@code Snapshot} extends it with a public
 * no-argument constructor, as Flink instantiates it by name.
 */
@Internal
public abstract class VersionedSnapshot<T> implements TypeSerializerSnapshot<T> {
    private final String what;
    private final int current;
    private int version;

    /**
     * @param what the record's name, for the error of an unknown version
     * @param current the layout version this build writes and reads
     */
    protected VersionedSnapshot(String what, int current) {
        this.what = what;
        this.current = current;
        this.version = current;
    }

    @Override
    public int getCurrentVersion() {
        return current;
    }

    @Override
    public void writeSnapshot(DataOutputView out) {}

    @Override
    public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader)
            throws IOException {
        if (readVersion != current) {
            throw new IOException(
                    "unknown "
                            + what
                            + " serializer version "
                            + readVersion
                            + ", this build reads version "
                            + current);
        }
        this.version = readVersion;
    }

    @Override
    public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
            TypeSerializerSnapshot<T> oldSnapshot) {
        return oldSnapshot.getClass() == getClass()
                        && ((VersionedSnapshot<T>) oldSnapshot).version == version
                ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                : TypeSerializerSchemaCompatibility.incompatible();
    }
}
