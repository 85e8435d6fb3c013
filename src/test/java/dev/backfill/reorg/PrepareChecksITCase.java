package dev.backfill.reorg;

import dev.backfill.cli.Plan;
import dev.backfill.db.Catalog;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.job.JobSpecParser;
import dev.backfill.job.TestingReorgs;
import dev.backfill.model.JobSpec;

import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.io.OutputStream;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A {@code using} that the server refuses as written is refused by {@code plan} (read-only) and by
 * prepare with the same message, and prepare leaves nothing behind: no shadow column, no catalog
 * row.
 */
class PrepareChecksITCase {

    @Test
    void aUsingThatDoesNotCastIsRefusedByPlanAndPrepareAlike() throws Exception {
        String db = "prepare_checks";
        DataSource ds =
                TestingReorgs.database(
                        db,
                        "CREATE TABLE public.ledger (id bigint PRIMARY KEY, amount integer)",
                        "INSERT INTO public.ledger VALUES (1, 10), (2, 20)");
        JobSpec spec =
                JobSpecParser.parse(
                        "reorg: bad-using\ndatabase:\n  url: "
                                + TestingPostgres.get().jdbcUrl(db)
                                + "\n  user: postgres\ntable: public.ledger\nmodify-column:\n"
                                + "  column: amount\n  type: date\n  using: \"amount::date\"\n",
                        "bad-using.yaml",
                        Map.of());
        String refused = "modify-column: the new value amount::date cannot be stored as date: ";

        assertThatThrownBy(
                        () -> new Plan(new PrintStream(OutputStream.nullOutputStream())).run(spec))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessageStartingWith(refused);
        assertThatThrownBy(() -> ReorgSetup.run(spec))
                .isInstanceOf(TableInfo.TableException.class)
                .hasMessageStartingWith(refused);

        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs =
                        st.executeQuery(
                                "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute"
                                        + " WHERE attrelid = 'public.ledger'::regclass"
                                        + " AND attnum > 0 AND NOT attisdropped")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("id,amount");
            assertThat(Catalog.find(c, "bad-using")).isEmpty();
        }
    }
}
