package dev.backfill.source.enumerator;

import dev.backfill.db.Catalog;
import dev.backfill.db.Catalog.SplitProgress;
import dev.backfill.db.TableInfo;
import dev.backfill.db.TestingPostgres;
import dev.backfill.model.Key;
import dev.backfill.source.enumerator.BackfillEnumState.SplitterPosition;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link KeyRangeSplitter} against a real PostgreSQL and the real catalog. */
class KeyRangeSplitterITCase {
    private static final String DB = "key_range_splitter_it";
    private static final String REORG = "splitter-it";

    private DataSource ds;

    @BeforeEach
    void createCatalog() throws SQLException {
        ds = TestingPostgres.get().createDatabase(DB);
        try (Connection c = ds.getConnection()) {
            Catalog.ensureSchema(c);
            Catalog.insert(c, REORG, "spec: test", "hash", "public.t", "add-index", 0);
        }
    }

    @Test
    void cutsSparseBigintKeysIntoContiguousSplitsOfExactlySplitRows() throws SQLException {
        exec(
                "CREATE TABLE sparse (id bigint PRIMARY KEY, v text)",
                // 10,048 sparse keys, negatives included, plus both extremes of bigint: 10,050
                // rows.
                "INSERT INTO sparse SELECT n * 7919 - 40000000, 'v' || n FROM generate_series(1, 10048) n",
                "INSERT INTO sparse VALUES (-9223372036854775808, 'min'), (9223372036854775807, 'max')");
        TableInfo table = load("sparse");
        assertThat(count("SELECT count(*) FROM sparse")).isEqualTo(10_050);

        List<SplitProgress> splits = cutAll(table, 1000);

        assertThat(splits).hasSize(11);
        assertThat(splits.get(0).split.start()).isNull();
        for (int i = 0; i < splits.size(); i++) {
            assertThat(splits.get(i).split.index()).isEqualTo(i);
            assertThat(splits.get(i).split.physicalTable()).isEqualTo("public.sparse");
            assertThat(splits.get(i).split.watermark()).isNull();
            if (i > 0) {
                assertThat(splits.get(i).split.start()).isEqualTo(splits.get(i - 1).split.end());
            }
        }
        assertThat(splits.get(10).split.end()).isEqualTo(Key.of(Long.MAX_VALUE));
        assertThat(splits.get(10).last).isTrue();
        assertThat(splits.subList(0, 10)).noneMatch(s -> s.last);
        assertThat(
                        longs(
                                "SELECT split_index FROM backfill.progress WHERE reorg_id = '"
                                        + REORG
                                        + "' AND last"))
                .containsExactly(10L);
        assertThat(count("SELECT count(*) FROM backfill.progress WHERE reorg_id = '" + REORG + "'"))
                .isEqualTo(11);

        List<Long> sizes = new ArrayList<>();
        for (SplitProgress s : splits) {
            sizes.add(rowsIn("SELECT count(*) FROM sparse WHERE", "id", "bigint", s));
        }
        assertThat(sizes)
                .containsExactly(
                        1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 1000L, 50L);
        assertThat(splits.get(0).split.end())
                .isEqualTo(
                        Key.of(
                                longs("SELECT id FROM sparse ORDER BY id OFFSET 999 LIMIT 1")
                                        .get(0)));
    }

    @Test
    void anEmptyTableGivesNoSplitAndAFinishedPosition() throws SQLException {
        exec("CREATE TABLE empty (id bigint PRIMARY KEY)");
        TableInfo table = load("empty");
        KeyRangeSplitter splitter = new KeyRangeSplitter(REORG, table, 1000);

        KeyRangeSplitter.Cut cut;
        try (Connection c = ds.getConnection()) {
            cut = splitter.cutNext(c, KeyRangeSplitter.initial("public.empty"));
        }

        assertThat(cut.split).isNull();
        assertThat(cut.position.finished()).isTrue();
        assertThat(cut.position.nextIndex()).isZero();
        assertThat(cut.position.lastEnd()).isNull();
        assertThat(count("SELECT count(*) FROM backfill.progress")).isZero();
        try (Connection c = ds.getConnection()) {
            assertThatThrownBy(() -> splitter.cutNext(c, cut.position))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("public.empty");
        }
    }

    @Test
    void aTableOfExactlySplitRowsGivesOneLastSplit() throws SQLException {
        exec(
                "CREATE TABLE exact (id int PRIMARY KEY)",
                "INSERT INTO exact SELECT generate_series(1, 1000)");
        List<SplitProgress> splits = cutAll(load("exact"), 1000);
        // The first cut finds the 1000th key, so it does not know it is the last; the next cut
        // finds nothing and finishes the table.
        assertThat(splits).hasSize(1);
        assertThat(splits.get(0).split.end()).isEqualTo(Key.of(1000L));
        assertThat(rowsIn("SELECT count(*) FROM exact WHERE", "id", "integer", splits.get(0)))
                .isEqualTo(1000);
    }

    @Test
    void cutsACompositeTextIntKeyIntoContiguousRangesCoveringEveryRowOnce() throws SQLException {
        exec(
                "CREATE TABLE comp (region text, n int, v text, PRIMARY KEY (region, n))",
                // Awkward text: case, spaces, quotes, commas, parentheses, unicode, the empty
                // string.
                "INSERT INTO comp SELECT r, n, r || n FROM unnest(ARRAY['', 'Apple', 'apple', 'b b', 'it''s', '\"q\"',"
                        + " 'a,b', '(x)', 'Z\u00fcrich', '\u6771\u4eac']) r, generate_series(-5, 344) n");
        long total = count("SELECT count(*) FROM comp");
        assertThat(total).isEqualTo(3500);

        List<SplitProgress> splits = cutAll(load("comp"), 400);

        assertContiguous(splits);
        assertThat(splits).hasSize(9);
        List<Long> sizes = new ArrayList<>();
        for (SplitProgress s : splits) {
            sizes.add(
                    rowsIn(
                            "SELECT count(*) FROM comp WHERE",
                            "(region, n)",
                            "(?::text, ?::integer)",
                            s));
        }
        assertThat(sizes).containsExactly(400L, 400L, 400L, 400L, 400L, 400L, 400L, 400L, 300L);
        assertThat(sizes.stream().mapToLong(Long::longValue).sum()).isEqualTo(total);
        Key max =
                Key.of(
                        strings("SELECT region FROM comp ORDER BY region DESC, n DESC LIMIT 1")
                                .get(0),
                        344L);
        assertThat(splits.get(splits.size() - 1).split.end()).isEqualTo(max);
        assertThat(splits.get(0).split.end().get(1)).isInstanceOf(Long.class);
    }

    @Test
    void cutsAUuidKeyIntoContiguousRangesCoveringEveryRowOnce() throws SQLException {
        exec(
                "CREATE TABLE u (id uuid PRIMARY KEY, v int)",
                "INSERT INTO u SELECT gen_random_uuid(), n FROM generate_series(1, 2345) n");

        List<SplitProgress> splits = cutAll(load("u"), 500);

        assertContiguous(splits);
        assertThat(splits).hasSize(5);
        List<Long> sizes = new ArrayList<>();
        for (SplitProgress s : splits) {
            sizes.add(rowsIn("SELECT count(*) FROM u WHERE", "id", "uuid", s));
        }
        assertThat(sizes).containsExactly(500L, 500L, 500L, 500L, 345L);
        assertThat(splits.get(4).split.end())
                .isEqualTo(
                        Key.of(strings("SELECT id::text FROM u ORDER BY id DESC LIMIT 1").get(0)));
    }

    @Test
    void recuttingFromAnEarlierPositionReturnsTheRecordedSplit() throws SQLException {
        exec(
                "CREATE TABLE r (id bigint PRIMARY KEY)",
                "INSERT INTO r SELECT generate_series(1, 10000) * 10");
        TableInfo table = load("r");
        KeyRangeSplitter splitter = new KeyRangeSplitter(REORG, table, 1000);
        List<KeyRangeSplitter.Cut> cuts = new ArrayList<>();
        try (Connection c = ds.getConnection()) {
            SplitterPosition pos = KeyRangeSplitter.initial("public.r");
            for (int i = 0; i < 3; i++) {
                KeyRangeSplitter.Cut cut = splitter.cutNext(c, pos);
                cuts.add(cut);
                pos = cut.position;
            }
        }
        assertThat(cuts.get(1).split.split.end()).isEqualTo(Key.of(20000L));

        // The table changes under the recorded splits: rows inserted into and deleted from them.
        exec(
                "INSERT INTO r SELECT generate_series(1, 10000) * 10 + 5",
                "DELETE FROM r WHERE id BETWEEN 10000 AND 15000");

        try (Connection c = ds.getConnection()) {
            KeyRangeSplitter.Cut again = splitter.cutNext(c, cuts.get(0).position);
            assertThat(again.split.split).isEqualTo(cuts.get(1).split.split);
            assertThat(again.split.split.index()).isEqualTo(1);
            assertThat(again.split.split.start()).isEqualTo(Key.of(10000L));
            assertThat(again.split.split.end()).isEqualTo(Key.of(20000L));
            assertThat(again.split.last).isFalse();
            assertThat(again.position).isEqualTo(cuts.get(1).position);

            // From the very beginning, too: split 0 is the recorded one, not a fresh cut.
            KeyRangeSplitter.Cut first = splitter.cutNext(c, KeyRangeSplitter.initial("public.r"));
            assertThat(first.split.split.end()).isEqualTo(Key.of(10000L));
            assertThat(first.position).isEqualTo(cuts.get(0).position);

            // A position whose lastEnd disagrees with the catalog still gets the recorded split.
            KeyRangeSplitter.Cut skewed =
                    splitter.cutNext(c, new SplitterPosition("public.r", 2, Key.of(12345L), false));
            assertThat(skewed.split.split).isEqualTo(cuts.get(2).split.split);
        }
        assertThat(count("SELECT count(*) FROM backfill.progress WHERE reorg_id = '" + REORG + "'"))
                .isEqualTo(3);
        // The catalog's ranges are unchanged even though the rows in them are not.
        assertThat(
                        strings(
                                "SELECT coalesce(start_key, '-') || ' ' || end_key FROM backfill.progress ORDER BY split_index"))
                .containsExactly("- [10000]", "[10000] [20000]", "[20000] [30000]");
    }

    @Test
    void splitRowsMustBePositive() throws SQLException {
        exec("CREATE TABLE p (id bigint PRIMARY KEY)");
        TableInfo table = load("p");
        assertThatThrownBy(() -> new KeyRangeSplitter(REORG, table, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("split-rows");
    }

    // ---------------------------------------------------------------- helpers

    private List<SplitProgress> cutAll(TableInfo table, long splitRows) throws SQLException {
        KeyRangeSplitter splitter = new KeyRangeSplitter(REORG, table, splitRows);
        String physical = table.physicalTables().get(0);
        List<SplitProgress> out = new ArrayList<>();
        try (Connection c = ds.getConnection()) {
            SplitterPosition pos = KeyRangeSplitter.initial(physical);
            while (!pos.finished()) {
                assertThat(out.size()).as("more splits than rows").isLessThan(100_000);
                KeyRangeSplitter.Cut cut = splitter.cutNext(c, pos);
                if (cut.split != null) {
                    out.add(cut.split);
                    assertThat(cut.position.lastEnd()).isEqualTo(cut.split.split.end());
                    assertThat(cut.position.finished()).isEqualTo(cut.split.last);
                }
                assertThat(cut.position.nextIndex()).isEqualTo(out.size());
                pos = cut.position;
            }
            // What the catalog holds is what was handed out.
            assertThat(Catalog.splits(c, REORG).stream().map(s -> s.split).toList())
                    .containsExactlyElementsOf(out.stream().map(s -> s.split).toList());
        }
        return out;
    }

    private static void assertContiguous(List<SplitProgress> splits) {
        assertThat(splits).isNotEmpty();
        assertThat(splits.get(0).split.start()).isNull();
        for (int i = 1; i < splits.size(); i++) {
            assertThat(splits.get(i).split.start()).isEqualTo(splits.get(i - 1).split.end());
        }
        assertThat(splits.get(splits.size() - 1).last).isTrue();
        assertThat(splits.subList(0, splits.size() - 1)).noneMatch(s -> s.last);
    }

    /**
     * Rows in {@code (start, end]} of a split, counted with independent SQL: {@code key} is the key
     * expression, {@code param} the cast parameter (or a bare type for one column).
     */
    private long rowsIn(String countWhere, String key, String param, SplitProgress s)
            throws SQLException {
        String p = param.startsWith("(") ? param : "?::" + param;
        String sql =
                countWhere
                        + (s.split.start() == null ? "" : " " + key + " > " + p + " AND")
                        + " "
                        + key
                        + " <= "
                        + p;
        try (Connection c = ds.getConnection();
                PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (s.split.start() != null) {
                for (String v : s.split.start().textValues()) {
                    ps.setString(i++, v);
                }
            }
            for (String v : s.split.end().textValues()) {
                ps.setString(i++, v);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private TableInfo load(String name) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return TableInfo.load(c, "public", name);
        }
    }

    private void exec(String... sql) throws SQLException {
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    private long count(String sql) throws SQLException {
        return longs(sql).get(0);
    }

    private List<Long> longs(String sql) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    private List<String> strings(String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = ds.getConnection();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
