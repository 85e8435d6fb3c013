package dev.backfill.op.addindex;

import dev.backfill.db.TableInfo;

import org.apache.flink.annotation.Internal;

import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;

/**
 * {@code IndexTableDdl JDBC_URL SCHEMA.TABLE COLUMN INDEX_NAME} prints the statements with which
 * Backfill would create the index table of a unique add-index ({@code scripts/bench}'s offline
 * baseline writes into the same DDL). A plain CLI, outside Flink; it lives with the add-index
 * operation because {@code local/} sits below {@code op/}.
 */
@Internal
public final class IndexTableDdl {
    private IndexTableDdl() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: IndexTableDdl JDBC_URL SCHEMA.TABLE COLUMN INDEX_NAME");
            System.exit(2);
        }
        for (String statement : indexTableDdl(args[0], args[1], args[2], args[3])) {
            System.out.println(statement + ";");
        }
    }

    /**
     * The statements with which Backfill creates the index table of a unique add-index on one
     * column (IndexSql.createIndexTable), so that the offline baseline writes into the same DDL.
     */
    private static List<String> indexTableDdl(
            String url, String qualifiedTable, String column, String indexName) throws Exception {
        int dot = qualifiedTable.indexOf('.');
        if (dot < 0) {
            throw new IllegalArgumentException(
                    "index-ddl: expected SCHEMA.TABLE, got '" + qualifiedTable + "'");
        }
        try (Connection c = DriverManager.getConnection(url, "postgres", null)) {
            TableInfo table =
                    TableInfo.load(
                            c, qualifiedTable.substring(0, dot), qualifiedTable.substring(dot + 1));
            return IndexSql.createIndexTable(
                    IndexTable.resolve(table, indexName, List.of(column), true, "bench-offline"));
        }
    }
}
