package dev.backfill.db;

import org.apache.flink.annotation.Internal;

/**
 * SQL of Backfill's catalog ({@link Catalog#REORGS}, {@link Catalog#PROGRESS}): its in-place
 * upgrades, the throttle's knobs and decisions, the Flink job id, the repair count and the status
 * query. Pure string building, no database.
 */
@Internal
public final class CatalogSql {
    private CatalogSql() {}

    /**
     * {@code ALTER TABLE backfill.reorgs ADD COLUMN IF NOT EXISTS flink_job_id text}: the catalog
     * upgrade for the Flink job id (issue #5), run by {@link Catalog#ensureSchema} only when the
     * column is missing, so that a current catalog is not locked.
     */
    public static String addFlinkJobIdColumn() {
        return "ALTER TABLE "
                + Catalog.REORGS
                + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(Catalog.FLINK_JOB_ID)
                + " text";
    }

    /**
     * {@code ALTER TABLE backfill.reorgs ADD COLUMN IF NOT EXISTS rows_repaired bigint NOT NULL
     * DEFAULT 0}: the catalog upgrade for the repair count (issue #9), run by {@link
     * Catalog#ensureSchema} only when the column is missing.
     */
    public static String addRowsRepairedColumn() {
        return "ALTER TABLE "
                + Catalog.REORGS
                + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(Catalog.ROWS_REPAIRED)
                + " bigint NOT NULL DEFAULT 0";
    }

    /**
     * Adds to a reorg's repair count, in the repair's transaction. Leaves {@code updated_at} alone.
     * Parameters: the rows repaired, the reorg id.
     */
    public static String addRowsRepaired() {
        String col = Identifiers.quote(Catalog.ROWS_REPAIRED);
        return "UPDATE " + Catalog.REORGS + " SET " + col + " = " + col + " + ? WHERE id = ?";
    }

    /**
     * {@code ALTER TABLE backfill.reorgs ADD COLUMN IF NOT EXISTS ...}: the throttle's live knobs
     * ({@code throttle}, {@code throttle_max_latency_ratio}, {@code throttle_max_replica_lag},
     * {@code throttle_max_active_sessions}, {@code throttle_min_rows_per_second}) and what it does
     * now ({@code throttle_rate}, {@code throttle_reason}), added in place by {@link
     * Catalog#ensureSchema} when missing.
     */
    public static String addThrottleColumns() {
        return "ALTER TABLE "
                + Catalog.REORGS
                + " ADD COLUMN IF NOT EXISTS throttle boolean NOT NULL DEFAULT true,"
                + " ADD COLUMN IF NOT EXISTS throttle_max_latency_ratio double precision NOT NULL"
                + " DEFAULT 2,"
                + " ADD COLUMN IF NOT EXISTS throttle_max_replica_lag interval NOT NULL DEFAULT"
                + " '5 s',"
                + " ADD COLUMN IF NOT EXISTS throttle_max_active_sessions integer NOT NULL"
                + " DEFAULT 0,"
                + " ADD COLUMN IF NOT EXISTS throttle_min_rows_per_second bigint NOT NULL DEFAULT"
                + " 1000,"
                + " ADD COLUMN IF NOT EXISTS throttle_rate bigint,"
                + " ADD COLUMN IF NOT EXISTS "
                + Identifiers.quote(Catalog.THROTTLE_REASON)
                + " text";
    }

    /**
     * The throttle's live knobs of a reorg: enabled, latency ratio, replica lag in milliseconds,
     * max active sessions, min rows/s. Parameter: the reorg id.
     */
    public static String throttleKnobs() {
        return "SELECT throttle, throttle_max_latency_ratio,"
                + " (extract(epoch FROM throttle_max_replica_lag) * 1000)::bigint,"
                + " throttle_max_active_sessions, throttle_min_rows_per_second FROM "
                + Catalog.REORGS
                + " WHERE id = ?";
    }

    /**
     * Sets the throttle's knobs a run starts with, and clears what it did in an earlier run.
     * Parameters: enabled, latency ratio, replica lag in milliseconds, max active sessions, min
     * rows/s, the reorg id.
     */
    public static String setThrottleKnobs() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET throttle = ?, throttle_max_latency_ratio = ?,"
                + " throttle_max_replica_lag = make_interval(secs => ?::double precision / 1000),"
                + " throttle_max_active_sessions = ?, throttle_min_rows_per_second = ?,"
                + " throttle_rate = NULL, throttle_reason = NULL WHERE id = ?";
    }

    /**
     * Records the throttle's current decision (global rate, 0 when uncapped; reason). Leaves {@code
     * updated_at} alone: status derives rates from it. Parameters: rate, reason, reorg id.
     */
    public static String recordThrottle() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET throttle_rate = ?, throttle_reason = ? WHERE id = ?";
    }

    /**
     * Records the Flink job running a reorg (set by the enumerator when it starts; a restart or a
     * resumed run overwrites it). Leaves {@code updated_at} alone: status derives rates from it.
     * Parameters: the job id, the reorg id.
     */
    public static String setFlinkJobId() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET "
                + Identifiers.quote(Catalog.FLINK_JOB_ID)
                + " = ? WHERE id = ?";
    }

    /**
     * {@code scripts/backfill status}: every reorg (or, with {@code one}, the reorg whose id is the
     * parameter), oldest first, each with its split counters from {@code backfill.progress}: {@code
     * splits}, {@code splits_done}, {@code rows_scanned} (summed), {@code tables} (physical tables
     * with a split) and {@code tables_cut} (those whose last split is cut), and the database's
     * {@code now()} as {@code db_now}. Read-only.
     */
    public static String reorgStatus(boolean one) {
        return "SELECT r.*, p.splits, p.splits_done, p.rows_scanned, p.tables, p.tables_cut,"
                + " now() AS db_now FROM "
                + Catalog.REORGS
                + " r LEFT JOIN LATERAL (SELECT count(*) AS splits,"
                + " count(*) FILTER (WHERE done) AS splits_done,"
                + " coalesce(sum(rows_scanned), 0) AS rows_scanned,"
                + " count(DISTINCT physical_table) AS tables,"
                + " count(*) FILTER (WHERE last) AS tables_cut FROM "
                + Catalog.PROGRESS
                + " p WHERE p.reorg_id = r.id) p ON true"
                + (one ? " WHERE r.id = ?" : "")
                + " ORDER BY r.started_at, r.id";
    }

    /** The allowed states; {@code ready} came with modify-column. */
    private static final String STATE_CHECK =
            "state IN ('write-only', 'backfilling', 'verifying', 'ready', 'public', 'failed',"
                    + " 'aborted')";

    /** {@code CREATE SCHEMA IF NOT EXISTS backfill}. */
    public static String createSchema() {
        return "CREATE SCHEMA IF NOT EXISTS " + Identifiers.quote(Catalog.SCHEMA);
    }

    /**
     * {@code CREATE TABLE IF NOT EXISTS backfill.reorgs}: one row per reorg, its spec, state and
     * counters.
     */
    public static String createReorgs() {
        return "CREATE TABLE IF NOT EXISTS "
                + Catalog.REORGS
                + " ("
                + "id text PRIMARY KEY,"
                + " spec text NOT NULL,"
                + " spec_hash text NOT NULL,"
                + " table_name text NOT NULL,"
                + " operation text NOT NULL,"
                + " state text NOT NULL CONSTRAINT reorgs_state_check CHECK ("
                + STATE_CHECK
                + "),"
                + " rows_done bigint NOT NULL DEFAULT 0,"
                + " rows_estimated bigint NOT NULL DEFAULT 0,"
                + " error text,"
                + " started_at timestamptz NOT NULL DEFAULT now(),"
                + " updated_at timestamptz NOT NULL DEFAULT now(),"
                + " finished_at timestamptz,"
                + " max_rows_per_second bigint NOT NULL DEFAULT 0,"
                + " batch_size integer,"
                + " paused boolean NOT NULL DEFAULT false,"
                + " "
                + Identifiers.quote(Catalog.FLINK_JOB_ID)
                + " text, "
                + Identifiers.quote(Catalog.ROWS_REPAIRED)
                + " bigint NOT NULL DEFAULT 0)";
    }

    /**
     * {@code CREATE TABLE IF NOT EXISTS backfill.progress}: one row per split, its range, watermark
     * and counters.
     */
    public static String createProgress() {
        return "CREATE TABLE IF NOT EXISTS "
                + Catalog.PROGRESS
                + " ("
                + "reorg_id text NOT NULL REFERENCES "
                + Catalog.REORGS
                + " (id) ON DELETE CASCADE,"
                + " split_id text NOT NULL,"
                + " physical_table text NOT NULL,"
                + " split_index integer NOT NULL,"
                + " start_key text,"
                + " end_key text NOT NULL,"
                + " last boolean NOT NULL DEFAULT false,"
                + " watermark text,"
                + " rows_scanned bigint NOT NULL DEFAULT 0,"
                + " rows_written bigint NOT NULL DEFAULT 0,"
                + " done boolean NOT NULL DEFAULT false,"
                + " updated_at timestamptz NOT NULL DEFAULT now(),"
                + " PRIMARY KEY (reorg_id, split_id))";
    }

    /**
     * The definition of {@code reorgs_state_check}: one row, or none. Parameter: the reorgs table
     * (regclass text).
     */
    public static String stateCheckDefinition() {
        return "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                + " WHERE conrelid = ?::regclass AND conname = 'reorgs_state_check'";
    }

    /**
     * Replaces {@code reorgs_state_check} by the current one (the states of {@link Catalog.State}).
     */
    public static String upgradeStateCheck() {
        return "ALTER TABLE "
                + Catalog.REORGS
                + " DROP CONSTRAINT IF EXISTS reorgs_state_check,"
                + " ADD CONSTRAINT reorgs_state_check CHECK ("
                + STATE_CHECK
                + ")";
    }

    /** A reorg's row, locked ({@code FOR UPDATE}). Parameter: the reorg id. */
    public static String lockReorg() {
        return "SELECT * FROM " + Catalog.REORGS + " WHERE id = ? FOR UPDATE";
    }

    /** A reorg's row. Parameter: the reorg id. */
    public static String findReorg() {
        return "SELECT * FROM " + Catalog.REORGS + " WHERE id = ?";
    }

    /**
     * A new reorg in state {@code write-only}. Parameters: id, spec, spec hash, table name,
     * operation, rows estimated.
     */
    public static String insertReorg() {
        return "INSERT INTO "
                + Catalog.REORGS
                + " (id, spec, spec_hash, table_name, operation, state, rows_estimated)"
                + " VALUES (?, ?, ?, ?, ?, 'write-only', ?)";
    }

    /**
     * A reorg's state, paused flag, max rows per second and batch size. Parameter: the reorg id.
     */
    public static String reorgKnobs() {
        return "SELECT state, paused, max_rows_per_second, batch_size FROM "
                + Catalog.REORGS
                + " WHERE id = ?";
    }

    /** Sets a reorg's max rows per second and batch size. Parameters: those two, the reorg id. */
    public static String setKnobs() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET max_rows_per_second = ?, batch_size = ? WHERE id = ?";
    }

    /**
     * Marks a reorg failed with an error, from one of some states. Parameters: the error, the reorg
     * id, the states (text[]).
     */
    public static String failReorg() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET state = 'failed', error = ?, updated_at = now()"
                + " WHERE id = ? AND state = ANY (?)";
    }

    /**
     * Marks a reorg aborted, from the state it was found in. Parameters: the error, the reorg id,
     * the state.
     */
    public static String abortReorg() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET state = 'aborted', error = ?, updated_at = now(),"
                + " finished_at = now() WHERE id = ? AND state = ?";
    }

    /** Deletes a reorg's splits. Parameter: the reorg id. */
    public static String deleteProgress() {
        return "DELETE FROM " + Catalog.PROGRESS + " WHERE reorg_id = ?";
    }

    /**
     * Moves a reorg to a state from one of some states, clearing its error (and setting {@code
     * finished_at} when the second parameter is true). Parameters: the new state, whether it is
     * final, the reorg id, the states (text[]).
     */
    public static String transition() {
        return "UPDATE "
                + Catalog.REORGS
                + " SET state = ?, error = NULL, updated_at = now(),"
                + " finished_at = CASE WHEN ? THEN now() END"
                + " WHERE id = ? AND state = ANY (?)";
    }

    /** Sets a reorg's rows done. Parameters: the rows, the reorg id. */
    public static String setRowsDone() {
        return "UPDATE " + Catalog.REORGS + " SET rows_done = ?, updated_at = now() WHERE id = ?";
    }

    /**
     * Sets a backfilling reorg's rows done to its splits' rows scanned, returning it. Parameter:
     * the reorg id.
     */
    public static String refreshRowsDone() {
        return "UPDATE "
                + Catalog.REORGS
                + " r SET rows_done = (SELECT coalesce(sum(rows_scanned), 0) FROM "
                + Catalog.PROGRESS
                + " p WHERE p.reorg_id = r.id), updated_at = now()"
                + " WHERE r.id = ? AND r.state = 'backfilling' RETURNING rows_done";
    }

    /**
     * Records a split unless it exists or its reorg is aborted or public. Parameters: reorg id,
     * split id, physical table, split index, start key, end key, last, the reorg id again.
     */
    public static String recordSplit() {
        return "INSERT INTO "
                + Catalog.PROGRESS
                + " (reorg_id, split_id, physical_table, split_index, start_key, end_key, last)"
                + " SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM "
                + Catalog.REORGS
                + " WHERE id = ? AND state NOT IN ('aborted', 'public') FOR SHARE)"
                + " ON CONFLICT (reorg_id, split_id) DO NOTHING";
    }

    /** A split's row. Parameters: the reorg id, the split id. */
    public static String findSplit() {
        return "SELECT * FROM " + Catalog.PROGRESS + " WHERE reorg_id = ? AND split_id = ?";
    }

    /** A reorg's splits, by physical table and index. Parameter: the reorg id. */
    public static String splits() {
        return "SELECT * FROM "
                + Catalog.PROGRESS
                + " WHERE reorg_id = ? ORDER BY physical_table, split_index";
    }

    /**
     * Advances a split that is not done and still has the watermark read (compare-and-set).
     * Parameters: watermark, rows scanned, rows written, done, reorg id, split id, the expected
     * watermark.
     */
    public static String advanceSplit() {
        return "UPDATE "
                + Catalog.PROGRESS
                + " SET watermark = coalesce(?, watermark), rows_scanned = rows_scanned + ?,"
                + " rows_written = rows_written + ?, done = ?, updated_at = now()"
                + " WHERE reorg_id = ? AND split_id = ? AND NOT done"
                + " AND watermark IS NOT DISTINCT FROM ?";
    }

    /** A reorg's split count, splits done and rows scanned. Parameter: the reorg id. */
    public static String splitCounts() {
        return "SELECT count(*), count(*) FILTER (WHERE done),"
                + " coalesce(sum(rows_scanned), 0) FROM "
                + Catalog.PROGRESS
                + " WHERE reorg_id = ?";
    }
}
