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
}
