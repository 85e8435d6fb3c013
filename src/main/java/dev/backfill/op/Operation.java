package dev.backfill.op;

import dev.backfill.model.RowBatch;
import dev.backfill.model.WriteBatch;

import org.apache.flink.annotation.PublicEvolving;

import java.io.Serializable;
import java.util.List;

/**
 * A reorg's per-row work, in pure Java with no database and no Flink types: it turns a page of rows
 * into what the sink writes, or fails naming the row's key. Runs in the operation transform between
 * the source and the sink.
 */
@PublicEvolving
public interface Operation extends Serializable {
    /** For logs and the Flink graph, e.g. {@code add-index orders_email}. */
    String describe();

    /** The table columns the reader must read besides the key, in this order. */
    List<String> readColumns();

    WriteBatch apply(RowBatch batch);
}
