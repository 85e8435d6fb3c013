package dev.backfill.op.modifycolumn;

import dev.backfill.db.Catalog;
import dev.backfill.db.SqlErrors;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TableSql;
import dev.backfill.model.JobSpec;
import dev.backfill.op.BatchWriter;
import dev.backfill.op.Finishing;
import dev.backfill.op.Operation;
import dev.backfill.op.PrepareStatements;
import dev.backfill.op.ReorgPlan;
import dev.backfill.op.ReorgSteps;
import dev.backfill.op.Verification;
import dev.backfill.op.WritePath;
import dev.backfill.op.convert.Converter;
import dev.backfill.throttle.RowRateLimiter;

import org.apache.flink.annotation.Internal;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The modify-column steps: the shadow column (no rewrite), the check of the {@code using}
 * expression, and the BEFORE trigger that keeps the shadow equal to it from prepare's commit on.
 */
@Internal
public final class ModifyColumnSteps implements ReorgSteps {
    private final String reorgId;
    private final JobSpec.ModifyColumnSpec spec;
    private final ShadowColumn shadow;
    private final Converter converter;

    /**
     * @param converter the Java converter that computes the new value (the trigger then only marks
     *     the shadow stale), or null when SQL computes it
     */
    public ModifyColumnSteps(
            String reorgId,
            JobSpec.ModifyColumnSpec spec,
            ShadowColumn shadow,
            Converter converter) {
        this.reorgId = reorgId;
        this.spec = spec;
        this.shadow = shadow;
        this.converter = converter;
    }

    @Override
    public Operation operation() {
        return new ModifyColumn(shadow.column().name(), shadow.type(), converter);
    }

    /**
     * {@link WritePath#RANGE} when SQL computes the new value (the write is an in-place {@code
     * UPDATE} over the page's key range), {@link WritePath#ROWS} with a Java converter.
     */
    @Override
    public WritePath writePath() {
        return converter == null ? WritePath.RANGE : WritePath.ROWS;
    }

    @Override
    public String target() {
        return shadow.table().displayName() + "." + shadow.column().name() + " as " + shadow.type();
    }

    @Override
    public String definition() {
        return spec.column()
                + "\n"
                + spec.type()
                + "\n"
                + spec.using()
                + "\n"
                + spec.converter()
                + "\n"
                + spec.converterOptions();
    }

    @Override
    public void checkTargetFree(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.columnExists())) {
            ps.setString(1, shadow.table().quotedName());
            ps.setString(2, shadow.shadowName());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getBoolean(1)) {
                    throw new TableInfo.TableException(
                            "cannot add column "
                                    + shadow.shadowName()
                                    + " to "
                                    + shadow.table().displayName()
                                    + ": a column of that name already exists (left by another"
                                    + " reorg of this column? abort it first)");
                }
            }
        }
    }

    /**
     * {@link #checkTargetFree}, the new value's check ({@code using} evaluated and cast without
     * writing), and the order of the BEFORE triggers ({@link TriggerOrder}).
     */
    @Override
    public void checkPrepare(Connection c) throws SQLException {
        checkTargetFree(c);
        try (PreparedStatement ps = c.prepareStatement(ColumnSql.planCheckUsing(shadow))) {
            ps.executeQuery().close();
        } catch (SQLException e) {
            c.rollback();
            throw usingRefused(e);
        }
        TriggerOrder.check(c, shadow, "plan of reorg " + reorgId);
    }

    /**
     * The refusal of a {@code using} (or cast) that the server rejects as written (class 42 or 22);
     * any other error as it is.
     */
    private SQLException usingRefused(SQLException e) {
        if (!SqlErrors.isSyntaxOrDataError(e)) {
            return e;
        }
        return new TableInfo.TableException(
                "modify-column: the new value "
                        + shadow.using()
                        + " cannot be stored as "
                        + shadow.type()
                        + ": "
                        + e.getMessage());
    }

    /**
     * The shadow column, the check of {@code using}, and the shadow trigger; refused when an
     * application BEFORE trigger would fire after it ({@link TriggerOrder}).
     */
    @Override
    public void createTarget(Connection c) throws SQLException {
        ShadowColumn sc = shadow;
        checkTargetFree(c);
        try (Statement st = c.createStatement()) {
            st.execute(ColumnSql.addShadowColumn(sc));
            // A prepared statement: one statement, run with the extended protocol.
            try (PreparedStatement check = c.prepareStatement(ColumnSql.checkUsing(sc))) {
                check.execute();
            } catch (SQLException e) {
                throw usingRefused(e);
            }
            for (String sql : ColumnSql.createShadowTrigger(sc, converter != null)) {
                st.execute(sql);
            }
            st.execute(ColumnSql.enableAlwaysShadowTrigger(sc));
        }
        // In the same transaction, so that a refusal leaves nothing behind.
        TriggerOrder.check(c, sc, "modify-column prepare of reorg " + reorgId);
    }

    // --- writer ---

    /** The shadow column's writer ({@link ShadowWriter}), on this reorg's {@link #writePath()}. */
    @Override
    public BatchWriter batchWriter() {
        return new ShadowWriter(shadow, converter, writePath());
    }

    // --- cli ---
    private static final long serialVersionUID = 1L;

    /** The shadow column the reorg fills. */
    public ShadowColumn shadow() {
        return shadow;
    }

    /** The Java converter, or null when the conversion runs in SQL. */
    public Converter converter() {
        return converter;
    }

    @Override
    public String describePrepared() {
        return "added " + shadow.shadowName() + " " + shadow.type() + " and its trigger";
    }

    @Override
    public String describePublic(long rowsVerified, String jobFile) {
        return "verified "
                + rowsVerified
                + " rows and cut over: "
                + target()
                + " is public; the old column is kept as "
                + shadow.oldName()
                + " until scripts/backfill cleanup --job "
                + jobFile;
    }

    @Override
    public String describeCutOver(String jobFile) {
        return "cut over "
                + target()
                + "; the old column is kept as "
                + shadow.oldName()
                + " until scripts/backfill cleanup --job "
                + jobFile;
    }

    @Override
    public String describeReady(String jobFile) {
        return "verified, indexes rebuilt on "
                + shadow.shadowName()
                + "; the trigger keeps it in step. Swap the columns (a short lock) with:"
                + " scripts/backfill cutover --job "
                + jobFile;
    }

    /** What {@link #createTarget} runs, in its order (the check of {@code using} among the DDL). */
    @Override
    public PrepareStatements prepareStatements() {
        return new PrepareStatements(
                "ACCESS EXCLUSIVE on "
                        + shadow.table().displayName()
                        + " for the ADD COLUMN (catalog only, no rewrite)",
                List.of(ColumnSql.addShadowColumn(shadow), ColumnSql.checkUsing(shadow)),
                ColumnSql.createShadowTrigger(shadow, converter != null),
                List.of(ColumnSql.enableAlwaysShadowTrigger(shadow)),
                List.of());
    }

    // --- final ---

    /** The spec's modify-column part ({@link Cutover} reads its {@code cutover}). */
    JobSpec.ModifyColumnSpec spec() {
        return spec;
    }

    /** {@code ready}: the cut-over ({@link #publish}) publishes, at once or on command. */
    @Override
    public Catalog.State verifiedState() {
        return Catalog.State.READY;
    }

    /** Nothing: the shadow trigger has kept the column exact since prepare. */
    @Override
    public Finishing.Step beforeVerifying(Finishing f) {
        return () -> {};
    }

    @Override
    public String verifying() {
        return shadow.toString();
    }

    /** With the NULL check when the new value is the old one cast ({@code using} not given). */
    @Override
    public Verification.Result verify(
            DataSource ds, int workers, RowRateLimiter pace, Connection c, long chunkRows)
            throws SQLException {
        return ShadowVerifier.verify(ds, workers, pace, c, shadow, chunkRows, spec.using() == null);
    }

    @Override
    public long repair(
            Connection c,
            List<Verification.Range> ranges,
            String reorgId,
            Verification.RepairListener listener)
            throws SQLException {
        return ShadowVerifier.repair(c, shadow, ranges, reorgId, listener);
    }

    @Override
    public String repairUnit() {
        return "values";
    }

    /** The first result, at once. */
    @Override
    public boolean logsFirstResult() {
        return true;
    }

    /** {@link Readiness#check}: verified, dependents, indexes rebuilt, NOT NULL proven. */
    @Override
    public void afterVerification(Finishing f, Verification.Result result)
            throws SQLException, InterruptedException {
        Readiness.check(f, shadow, result);
    }

    /** The cut-over with {@code cutover: auto}; with {@code manual}, says how to run it. */
    @Override
    public void publish(Finishing f) throws SQLException, InterruptedException {
        Cutover.publish(f, this);
    }

    /** {@link Cutover}: the cut-over its finalizer would have run. */
    @Override
    public boolean cutOver(Connection c, ReorgPlan plan) throws SQLException, InterruptedException {
        return Cutover.run(c, plan, this);
    }
}
