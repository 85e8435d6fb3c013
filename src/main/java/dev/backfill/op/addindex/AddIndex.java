package dev.backfill.op.addindex;

import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;
import dev.backfill.op.Operation;

import org.apache.flink.annotation.Internal;

import java.util.ArrayList;
import java.util.List;

/**
 * The add-index operation: maps each row to its index entry (indexed column values, then key). The
 * entry's values are the row's values unchanged, so the write is exactly the read values, and the
 * sink's compare-and-set on them guarantees the entry is never older than the row. Like TiDB's
 * addIndexWorker building index KVs from the handle and the row.
 */
@Internal
public final class AddIndex implements Operation {
    private static final long serialVersionUID = 1L;

    private final String indexName;
    private final List<String> columns;

    public AddIndex(String indexName, List<String> columns) {
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("index " + indexName + " has no columns");
        }
        this.indexName = indexName;
        this.columns = List.copyOf(columns);
    }

    @Override
    public String describe() {
        return "add-index " + indexName;
    }

    @Override
    public List<String> readColumns() {
        return columns;
    }

    @Override
    public WriteBatch apply(RowBatch batch) {
        List<String[]> out = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            String[] row = batch.values().get(i);
            if (row.length != columns.size()) {
                throw new IllegalArgumentException(
                        "row "
                                + batch.keys().get(i)
                                + " of split "
                                + batch.splitId()
                                + " has "
                                + row.length
                                + " values, index "
                                + indexName
                                + " needs "
                                + columns.size()
                                + " "
                                + columns);
            }
            out.add(row);
        }
        return new WriteBatch(batch, out);
    }
}
