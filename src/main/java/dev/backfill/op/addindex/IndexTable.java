package dev.backfill.op.addindex;

import dev.backfill.db.Identifiers;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableInfo.Column;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The index table an add-index reorg builds: {@code <schema of table>.<name>}, holding one entry
 * per row of the table: the indexed columns followed by the key columns (those not already
 * indexed), with the same names and types. Its primary key is the table's key; the indexed columns
 * carry a UNIQUE constraint or a plain B-tree.
 *
 * <p>Also names the trigger function and triggers that keep it exact, derived from the reorg id so
 * that abort and re-runs find them.
 */
@Internal
public final class IndexTable implements Serializable {
    private static final long serialVersionUID = 1L;

    private final TableInfo table;
    private final String name;
    private final List<Column> indexed;
    private final boolean unique;
    private final String objectPrefix;
    private final String reorgId;

    public IndexTable(
            TableInfo table, String name, List<Column> indexed, boolean unique, String reorgId) {
        this.table = table;
        this.name = name;
        this.indexed = List.copyOf(indexed);
        this.unique = unique;
        this.objectPrefix = objectPrefix(reorgId);
        this.reorgId = reorgId;
    }

    /**
     * Resolves the indexed column names against the table. Fails naming the column when one does
     * not exist.
     */
    public static IndexTable resolve(
            TableInfo table, String name, List<String> columns, boolean unique, String reorgId)
            throws TableInfo.TableException {
        List<Column> cols = new ArrayList<>();
        for (String c : columns) {
            cols.add(
                    table.column(c)
                            .orElseThrow(
                                    () ->
                                            new TableInfo.TableException(
                                                    "column "
                                                            + c
                                                            + " does not exist in table "
                                                            + table.displayName()
                                                            + "; its columns are "
                                                            + table.columns().stream()
                                                                    .map(Column::name)
                                                                    .toList())));
        }
        return new IndexTable(table, name, cols, unique, reorgId);
    }

    public TableInfo table() {
        return table;
    }

    public String schema() {
        return table.schema();
    }

    public String name() {
        return name;
    }

    public String displayName() {
        return table.schema() + "." + name;
    }

    public String quotedName() {
        return Identifiers.qualified(table.schema(), name);
    }

    public List<Column> indexed() {
        return indexed;
    }

    public List<String> indexedNames() {
        return indexed.stream().map(Column::name).toList();
    }

    public boolean unique() {
        return unique;
    }

    /** The key columns that are not also indexed columns: the rest of an entry. */
    public List<Column> extraKeyColumns() {
        List<Column> out = new ArrayList<>();
        for (Column k : table.keyColumns()) {
            if (indexed.stream().noneMatch(c -> c.name().equals(k.name()))) {
                out.add(k);
            }
        }
        return out;
    }

    /** All columns of the index table, in order: indexed, then the remaining key columns. */
    public List<Column> entryColumns() {
        List<Column> out = new ArrayList<>(indexed);
        out.addAll(extraKeyColumns());
        return out;
    }

    public String primaryKeyConstraint() {
        return name + "_pkey";
    }

    /** The UNIQUE constraint (unique) or B-tree index (non-unique) on the indexed columns. */
    public String valuesConstraint() {
        return unique ? name + "_unique" : name + "_values";
    }

    /** The trigger function, in schema {@code backfill}. */
    public String triggerFunction() {
        return objectPrefix + "_maintain";
    }

    public String insertTrigger() {
        return objectPrefix + "_ins";
    }

    public String updateTrigger() {
        return objectPrefix + "_upd";
    }

    public String deleteTrigger() {
        return objectPrefix + "_del";
    }

    public String truncateTrigger() {
        return objectPrefix + "_trunc";
    }

    /** The reorg that builds this index table. */
    public String reorgId() {
        return reorgId;
    }

    /**
     * The {@code AFTER TRUNCATE} statement trigger on every leaf partition of a partitioned table
     * (PostgreSQL does not clone statement triggers to partitions, and a TRUNCATE of one partition
     * does not fire the parent's).
     */
    public String truncateLeafTrigger() {
        return objectPrefix + "_trunc_leaf";
    }

    /** The function of {@link #truncateLeafTrigger()}, in schema {@code backfill}. */
    public String truncateLeafFunction() {
        return objectPrefix + "_truncate_leaf";
    }

    /**
     * The function, in schema {@code backfill}, that brings the leaf partitions in line with the
     * index table after partition DDL (ATTACH, CREATE ... PARTITION OF, DETACH).
     */
    public String partitionsFunction() {
        return objectPrefix + "_partitions";
    }

    /**
     * The {@code ddl_command_end} event trigger (and its function, in schema {@code backfill}) that
     * calls {@link #partitionsFunction()} after ALTER TABLE and CREATE TABLE.
     */
    public String ddlEventTrigger() {
        return objectPrefix + "_ddl";
    }

    /**
     * The {@code sql_drop} event trigger (and its function, in schema {@code backfill}) that
     * refuses a DROP of a leaf partition and drops the index table with its table.
     */
    public String dropEventTrigger() {
        return objectPrefix + "_drop";
    }

    /** The transaction-local setting that stops the guards from reacting to their own DDL. */
    public String busySetting() {
        return "backfill." + objectPrefix + "_busy";
    }

    /**
     * The write-only sink's tombstone marker column of the index table (see {@link
     * IndexSql#addIndexBatchWriteOnly}). Its name starts with a character a column needs quoting
     * for; a table whose entry columns use it anyway gets the locking batch ({@link
     * #writeOnlyEligible}). Dropped before {@code public}.
     */
    public static final String TOMBSTONE = "~backfill_deleted";

    /**
     * Whether prepare gives this index table the tombstone marker, so that its batches run the
     * write-only insert instead of the locking one: not for a partitioned table (its leaf TRUNCATE
     * triggers and ATTACH/DETACH fill keep the deleting form and the locking batch), nor when an
     * entry column is named {@link #TOMBSTONE}.
     */
    public boolean writeOnlyEligible() {
        return !table.partitioned()
                && entryColumns().stream().noneMatch(c -> c.name().equals(TOMBSTONE));
    }

    /**
     * The BEFORE UPDATE trigger on the index table (and its function, in schema {@code backfill})
     * that, after the switch to the deleting triggers, clears the marker of an entry that an upsert
     * revives, so the purge skips it.
     */
    public String reviveTrigger() {
        return objectPrefix + "_revive";
    }

    /** The partial index on the index table over its tombstones, which the purge reads. */
    public String tombstoneIndex() {
        return objectPrefix + "_tombstones";
    }

    /** The prefix of a reorg's trigger and function names. */
    public static String objectPrefix(String reorgId) {
        return "backfill_" + shortHash(reorgId);
    }

    static String shortHash(String s) {
        try {
            byte[] d =
                    MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
