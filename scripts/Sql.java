// A tiny SQL client for scripts (no psql needed): runs each statement argument in autocommit and
// prints the rows of the last one, tab-separated, without a header; NULL prints as an empty field.
//
//   java -cp target/backfill.jar scripts/Sql.java jdbc:postgresql://localhost:54329/postgres "SELECT ..."
//
// The user is $PGUSER (default postgres), the password $PGPASSWORD if set. Exit code 1 and the
// error on stderr if a statement fails.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

public class Sql {
    public static void main(String[] args) {
        if (args.length < 2 || args[0].equals("--help") || args[0].equals("-h")) {
            System.err.println("usage: java -cp target/backfill.jar scripts/Sql.java JDBC_URL SQL...");
            System.exit(args.length >= 1 && args[0].startsWith("-") ? 0 : 2);
        }
        Properties p = new Properties();
        p.setProperty("user", System.getenv().getOrDefault("PGUSER", "postgres"));
        String pw = System.getenv("PGPASSWORD");
        if (pw != null) {
            p.setProperty("password", pw);
        }
        p.setProperty("ApplicationName", "backfill-scripts-sql");
        p.setProperty("connectTimeout", "10");
        try (Connection c = DriverManager.getConnection(args[0], p);
                Statement st = c.createStatement()) {
            for (int i = 1; i < args.length; i++) {
                boolean rows = st.execute(args[i]);
                if (rows && i == args.length - 1) {
                    try (ResultSet rs = st.getResultSet()) {
                        int n = rs.getMetaData().getColumnCount();
                        StringBuilder sb = new StringBuilder();
                        while (rs.next()) {
                            for (int col = 1; col <= n; col++) {
                                if (col > 1) {
                                    sb.append('\t');
                                }
                                String v = rs.getString(col);
                                sb.append(v == null ? "" : v);
                            }
                            sb.append('\n');
                        }
                        System.out.print(sb);
                    }
                }
            }
        } catch (SQLException e) {
            System.err.println("sql: " + e.getMessage());
            System.exit(1);
        }
    }
}
