package dev.backfill.db;

import org.apache.flink.annotation.Internal;

import java.io.Serializable;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What Backfill knows about a table: its resolved schema and name, columns with their exact types,
 * its key (the primary key) and its physical tables (itself, or its leaf partitions). Read once on
 * the client by {@link #load}, then shipped to the Flink job with the graph.
 */
@Internal
public final class TableInfo implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One column: its name, its type as {@code format_type} prints it, and NOT NULL. */
    public static final class Column implements Serializable {
        private static final long serialVersionUID = 1L;

        private final String name;
        private final String type;
        private final boolean notNull;
        private final boolean integral;
        private final String collation;

        public Column(String name, String type, boolean notNull, boolean integral) {
            this(name, type, notNull, integral, null);
        }

        /**
         * @param collation the column's collation, schema-qualified and quoted, when it is not its
         *     type's default; null otherwise
         */
        public Column(
                String name, String type, boolean notNull, boolean integral, String collation) {
            this.name = name;
            this.type = type;
            this.notNull = notNull;
            this.integral = integral;
            this.collation = collation;
        }

        public String name() {
            return name;
        }

        /** E.g. {@code bigint}, {@code character varying(255)}, {@code numeric(12,2)}. */
        public String type() {
            return type;
        }

        public boolean notNull() {
            return notNull;
        }

        /**
         * The column's own collation ({@code "pg_catalog"."C"}), or null when it has its type's
         * default. A copy of the column (an index table's) carries it, so that it orders, compares
         * and enforces uniqueness as the source column does.
         */
        public String collation() {
            return collation;
        }

        /**
         * {@link #type()} with the column's collation: what a copy of the column is declared as.
         */
        public String declaredType() {
            return collation == null ? type : type + " COLLATE " + collation;
        }

        /** smallint, integer or bigint: key values are carried as {@link Long}. */
        public boolean integral() {
            return integral;
        }

        @Override
        public String toString() {
            return name + " " + type + (notNull ? " NOT NULL" : "");
        }
    }

    private final String schema;
    private final String name;
    private final boolean partitioned;
    private final List<Column> columns;
    private final List<Column> keyColumns;
    private final List<String> physicalTables; // schema.name, unquoted; for partitions: leaves
    private final List<String> quotedPhysical; // the same, each part quoted

    public TableInfo(
            String schema,
            String name,
            boolean partitioned,
            List<Column> columns,
            List<Column> keyColumns,
            List<String> physicalTables,
            List<String> quotedPhysical) {
        this.schema = schema;
        this.name = name;
        this.partitioned = partitioned;
        this.columns = List.copyOf(columns);
        this.keyColumns = List.copyOf(keyColumns);
        this.physicalTables = List.copyOf(physicalTables);
        this.quotedPhysical = List.copyOf(quotedPhysical);
    }

    /**
     * Resolves {@code schema.table} ({@code schema} null: through {@code search_path}) and reads
     * its definition. Fails with a message naming the table when it does not exist, is not a table,
     * or has no primary key.
     */
    public static TableInfo load(Connection c, String schemaOrNull, String table)
            throws SQLException {
        String display = schemaOrNull == null ? table : schemaOrNull + "." + table;
        String regclass =
                schemaOrNull == null
                        ? Identifiers.quote(table)
                        : Identifiers.qualified(schemaOrNull, table);
        long oid;
        String schema;
        String name;
        char kind;
        try (PreparedStatement ps = c.prepareStatement(TableSql.relation())) {
            ps.setString(1, regclass);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new TableException("table " + display + " does not exist");
                }
                oid = rs.getLong(1);
                schema = rs.getString(2);
                name = rs.getString(3);
                kind = rs.getString(4).charAt(0);
            }
        }
        if (kind != 'r' && kind != 'p') {
            throw new TableException(
                    display
                            + " is not a table (relkind '"
                            + kind
                            + "'); only tables can be reorganized");
        }
        List<Column> columns = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(TableSql.columns())) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(
                            new Column(
                                    rs.getString(1),
                                    rs.getString(2),
                                    rs.getBoolean(3),
                                    rs.getBoolean(4),
                                    rs.getString(5)));
                }
            }
        }
        List<Column> key = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(TableSql.primaryKeyColumns())) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String col = rs.getString(1);
                    key.add(
                            columns.stream()
                                    .filter(x -> x.name().equals(col))
                                    .findFirst()
                                    .orElseThrow());
                }
            }
        }
        try (PreparedStatement ps = c.prepareStatement(TableSql.primaryKeyDeferrable())) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getBoolean(1)) {
                    // A deferrable key lets one statement swap keys between rows, which row
                    // triggers cannot follow exactly.
                    throw new TableException(
                            "table "
                                    + schema
                                    + "."
                                    + name
                                    + " has a DEFERRABLE primary key; Backfill needs an immediate one");
                }
            }
        }
        if (key.isEmpty()) {
            throw new TableException(
                    "table "
                            + schema
                            + "."
                            + name
                            + " has no primary key; Backfill needs one to split and resume the"
                            + " scan (other unique keys are not supported yet)");
        }
        List<String> physical = new ArrayList<>();
        List<String> quotedPhysical = new ArrayList<>();
        if (kind == 'p') {
            try (PreparedStatement ps = c.prepareStatement(TableSql.leafPartitions())) {
                ps.setLong(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        physical.add(rs.getString(1) + "." + rs.getString(2));
                        quotedPhysical.add(Identifiers.qualified(rs.getString(1), rs.getString(2)));
                    }
                }
            }
        } else {
            physical.add(schema + "." + name);
            quotedPhysical.add(Identifiers.qualified(schema, name));
        }
        return new TableInfo(schema, name, kind == 'p', columns, key, physical, quotedPhysical);
    }

    public String schema() {
        return schema;
    }

    public String name() {
        return name;
    }

    /** {@code schema.name}, unquoted, for messages and the catalog. */
    public String displayName() {
        return schema + "." + name;
    }

    /** {@code "schema"."name"}. */
    public String quotedName() {
        return Identifiers.qualified(schema, name);
    }

    public boolean partitioned() {
        return partitioned;
    }

    public List<Column> columns() {
        return columns;
    }

    public List<Column> keyColumns() {
        return keyColumns;
    }

    public List<String> keyColumnNames() {
        List<String> out = new ArrayList<>();
        for (Column k : keyColumns) {
            out.add(k.name());
        }
        return out;
    }

    public List<String> physicalTables() {
        return physicalTables;
    }

    public Optional<Column> column(String columnName) {
        return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
    }

    /**
     * {@code ONLY "schema"."name"}: how scans, splits and batch locks read one of {@link
     * #physicalTables()}, without the rows of inheritance children (which have no triggers and are
     * not part of the table's key space).
     */
    public String scanSource(String physicalTable) {
        return "ONLY " + quotedPhysical(physicalTable);
    }

    /** {@code "schema"."name"} of one of {@link #physicalTables()}. */
    public String quotedPhysical(String physicalTable) {
        int i = physicalTables.indexOf(physicalTable);
        if (i < 0) {
            throw new IllegalArgumentException(
                    physicalTable + " is not a physical table of " + displayName());
        }
        return quotedPhysical.get(i);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TableInfo
                && ((TableInfo) o).schema.equals(schema)
                && ((TableInfo) o).name.equals(name);
    }

    @Override
    public int hashCode() {
        return Objects.hash(schema, name);
    }

    @Override
    public String toString() {
        return displayName() + " key " + keyColumnNames() + " physical " + physicalTables;
    }

    /** Whether a relation of that (quoted, possibly qualified) name exists. */
    public static boolean relationExists(Connection c, String quotedName) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(TableSql.relationExists())) {
            ps.setString(1, quotedName);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    /** The planner's row estimate (reltuples); an exact count for a table never analyzed. */
    public static long estimateRows(Connection c, TableInfo table) throws SQLException {
        long total = 0;
        for (String physical : table.physicalTables()) {
            String q = table.quotedPhysical(physical);
            long n;
            try (PreparedStatement ps = c.prepareStatement(TableSql.rowEstimate())) {
                ps.setString(1, q);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    n = rs.getLong(1);
                }
            }
            if (n < 0) {
                try (Statement st = c.createStatement();
                        ResultSet rs =
                                st.executeQuery(TableSql.countRows(table.scanSource(physical)))) {
                    rs.next();
                    n = rs.getLong(1);
                }
            }
            total += n;
        }
        return total;
    }

    /** A table that cannot be reorganized, with a message naming it. */
    public static class TableException extends SQLException {
        private static final long serialVersionUID = 1L;

        public TableException(String message) {
            super(message);
        }
    }
}
