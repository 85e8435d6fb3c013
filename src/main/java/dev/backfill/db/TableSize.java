package dev.backfill.db;

import dev.backfill.model.JobSpec;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;

/**
 * A table's size in bytes (with TOAST, without indexes) and its dead tuples ({@link
 * TableSql#tableSize()}): a modify-column's in-place update leaves a dead tuple per row until
 * VACUUM.
 */
@Internal
public record TableSize(long bytes, long deadTuples) {

    /**
     * The size of the spec's table, or empty when it cannot be read (e.g. the table does not exist;
     * the setup reports that).
     */
    public static Optional<TableSize> read(JobSpec spec) {
        try (Connection c =
                        Connections.open(Connections.dataSource(spec.database(), spec.reorgId()));
                PreparedStatement ps = c.prepareStatement(TableSql.tableSize())) {
            ps.setString(1, spec.tableName());
            ps.setString(2, spec.tableName());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Optional.of(new TableSize(rs.getLong(1), rs.getLong(2)));
            } finally {
                c.commit();
            }
        } catch (SQLException e) {
            return Optional.empty();
        }
    }
}
