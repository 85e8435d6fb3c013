package dev.backfill;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's code map, held against the sources: each package imports only packages on lower
 * floors (no import runs up a floor), every public top-level type says whether it is part of the
 * public surface ({@code @PublicEvolving}) or not ({@code @Internal}), and SQL statements are
 * written only in the {@code *Sql} builders.
 */
class CodeMapTest {
    private static final Path MAIN = Path.of("src/main/java/dev/backfill");

    /** The floors of the README's code map, from the ground up. */
    private static final Map<String, Integer> FLOORS =
            Map.ofEntries(
                    Map.entry("model", 1),
                    Map.entry("db", 2),
                    Map.entry("metrics", 2),
                    Map.entry("local", 3),
                    Map.entry("throttle", 3),
                    Map.entry("op", 4),
                    Map.entry("reorg", 5),
                    Map.entry("sink", 6),
                    Map.entry("source", 6),
                    Map.entry("job", 7),
                    Map.entry("cli", 8));

    private static final Pattern IMPORT =
            Pattern.compile("^import (?:static )?dev\\.backfill\\.(\\w+)\\.", Pattern.MULTILINE);

    private static final Pattern PUBLIC_TYPE =
            Pattern.compile(
                    "^public (?:final |abstract |sealed )*(?:class|interface|enum|record) ",
                    Pattern.MULTILINE);

    /**
     * A string literal that starts a SQL statement: an opening quote (not an escaped one inside
     * another literal) right before an upper-case statement keyword and a space. Messages that name
     * a statement mid-sentence ({@code " run VACUUM (ANALYZE) "}) do not start with one.
     */
    private static final Pattern SQL_LITERAL =
            Pattern.compile(
                    "(?<![\\\\\\w])\"(?:SELECT|INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|SET"
                            + "|RESET|SHOW|LOCK|TRUNCATE|ANALYZE|VACUUM|REINDEX|CLUSTER|WITH|DO|COPY"
                            + "|EXPLAIN|COMMENT|GRANT|REVOKE|BEGIN|COMMIT|ROLLBACK) ");

    /** A line of a comment or Javadoc, whose examples may quote SQL. */
    private static final Pattern COMMENT_LINE = Pattern.compile("^\\s*(?://|/?\\*)");

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(MAIN)) {
            return files.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    private static String topPackage(Path file) {
        return MAIN.relativize(file).getName(0).toString();
    }

    @Test
    void everyPackageIsOnAFloorOfTheCodeMap() throws IOException {
        List<Path> files = sources();
        assertThat(files).isNotEmpty();
        for (Path f : files) {
            assertThat(FLOORS).as("the floor of %s", f).containsKey(topPackage(f));
        }
    }

    @Test
    void noImportRunsUpAFloor() throws IOException {
        List<String> upward = new ArrayList<>();
        for (Path f : sources()) {
            String from = topPackage(f);
            Matcher m = IMPORT.matcher(Files.readString(f));
            while (m.find()) {
                String to = m.group(1);
                if (!to.equals(from) && FLOORS.getOrDefault(to, 0) >= FLOORS.get(from)) {
                    upward.add(MAIN.relativize(f) + " imports " + to);
                }
            }
        }
        assertThat(upward).as("imports from a floor to one at its height or above").isEmpty();
    }

    @Test
    void everyPublicTypeIsMarkedPublicEvolvingOrInternal() throws IOException {
        List<String> unmarked = new ArrayList<>();
        for (Path f : sources()) {
            String s = Files.readString(f);
            Matcher m = PUBLIC_TYPE.matcher(s);
            if (!m.find()) {
                continue;
            }
            String before = s.substring(0, m.start());
            if (!before.contains("\n@PublicEvolving\n") && !before.contains("\n@Internal\n")) {
                unmarked.add(MAIN.relativize(f).toString());
            }
        }
        assertThat(unmarked).as("public types without @PublicEvolving or @Internal").isEmpty();
    }

    @Test
    void sqlStatementsAreWrittenOnlyInTheSqlBuilders() throws IOException {
        List<String> outside = new ArrayList<>();
        for (Path f : sources()) {
            if (f.getFileName().toString().endsWith("Sql.java")) {
                continue;
            }
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (!COMMENT_LINE.matcher(line).find() && SQL_LITERAL.matcher(line).find()) {
                    outside.add(MAIN.relativize(f) + ":" + (i + 1) + ": " + line.strip());
                }
            }
        }
        assertThat(outside).as("SQL statement text outside the *Sql classes").isEmpty();
    }
}
