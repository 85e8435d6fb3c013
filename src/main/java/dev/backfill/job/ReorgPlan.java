package dev.backfill.job;

import dev.backfill.db.Connections;
import dev.backfill.db.IndexTable;
import dev.backfill.db.TableInfo;
import dev.backfill.op.AddIndex;
import dev.backfill.op.Operation;

import org.postgresql.ds.PGSimpleDataSource;

import java.io.Serializable;

/**
 * Everything the Flink job needs to know about one reorg, resolved on the client against the live
 * schema: the spec (with the database URL resolved), the table, the index table and the operation.
 * Built by {@link BackfillJob}, shipped inside the job graph to the source, the sink and the
 * finalizer.
 */
public final class ReorgPlan implements Serializable {
    private static final long serialVersionUID = 1L;

    private final JobSpec spec;
    private final TableInfo table;
    private final IndexTable index;

    public ReorgPlan(JobSpec spec, TableInfo table, IndexTable index) {
        if (spec.database().isEmbedded()) {
            throw new IllegalArgumentException("resolve the embedded database URL first");
        }
        this.spec = spec;
        this.table = table;
        this.index = index;
    }

    public JobSpec spec() {
        return spec;
    }

    public String reorgId() {
        return spec.reorgId();
    }

    public TableInfo table() {
        return table;
    }

    public IndexTable index() {
        return index;
    }

    public Operation operation() {
        return new AddIndex(index.name(), index.indexedNames());
    }

    /** A data source for this reorg's connections (application_name = backfill:<id>). */
    public PGSimpleDataSource dataSource() {
        return Connections.dataSource(spec.database(), spec.reorgId());
    }

    @Override
    public String toString() {
        return "ReorgPlan{" + spec.reorgId() + " on " + table + "}";
    }
}
