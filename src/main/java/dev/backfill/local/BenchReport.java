package dev.backfill.local;

import dev.backfill.db.Catalog;

import org.apache.flink.annotation.Internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The figures of {@code scripts/bench}: reads what the script measured and writes the report.
 *
 * <ul>
 *   <li>{@code BenchReport catalog JDBC_URL REORG_ID} prints a finished reorg's prepare→public
 *       seconds from the catalog.
 *   <li>{@code BenchReport report DIR} reads {@code DIR/runs.tsv} (one line per measured step),
 *       {@code DIR/setup.txt} and the pgbench per-transaction logs under {@code DIR/pgbench/} and
 *       writes {@code DIR/report.md} (Markdown tables: offline baselines, Backfill at each
 *       parallelism with its ratio to the baseline, Backfill under load) and {@code DIR/bench.png}
 *       ({@link BenchChart}).
 * </ul>
 */
@Internal
public final class BenchReport {
    /** The add-index target of issue #10: wall time within 1.5× the offline INSERT … SELECT. */
    static final double ADD_INDEX_TARGET = 1.5;

    /** The modify-column target: at least 1.5× the pgroll-style loop's throughput. */
    static final double MODIFY_COLUMN_TARGET = 1.5;

    /** The load target: foreground p99 within 2× its idle p99. */
    static final double P99_TARGET = 2.0;

    private BenchReport() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("catalog")) {
            System.out.println(catalogSeconds(args[1], args[2]));
        } else if (args.length == 2 && args[0].equals("report")) {
            Path dir = Path.of(args[1]);
            Report r = Report.read(dir);
            Files.writeString(dir.resolve("report.md"), r.markdown(), StandardCharsets.UTF_8);
            BenchChart.write(r, dir.resolve("bench.png"));
        } else {
            System.err.println(
                    "usage: BenchReport catalog JDBC_URL REORG_ID" + " | BenchReport report DIR");
            System.exit(2);
        }
    }

    private static String catalogSeconds(String url, String reorgId) throws Exception {
        // A plain CLI, outside Flink: DriverManager finds the driver on the application classpath.
        try (Connection c = DriverManager.getConnection(url, "postgres", null)) {
            Catalog.Reorg r =
                    Catalog.find(c, reorgId)
                            .orElseThrow(() -> new IllegalArgumentException("no reorg " + reorgId));
            if (r.finishedAt == null) {
                throw new IllegalStateException("reorg " + reorgId + " is " + r.state.value());
            }
            return String.format(
                    Locale.ROOT,
                    "%.3f",
                    Duration.between(r.startedAt.toInstant(), r.finishedAt.toInstant()).toMillis()
                            / 1000.0);
        }
    }

    /** One line of runs.tsv: a baseline step or a Backfill run. */
    record Run(
            String section,
            String op,
            String variant,
            int parallelism,
            long rows,
            double wallSeconds,
            Double catalogSeconds,
            Double heapMb,
            Double liveMb,
            long tableBefore,
            long tableAfter,
            long indexBytes,
            Double oldestXactSeconds,
            Double loadStart,
            Double loadEnd) {

        double rowsPerSecond() {
            return rows / wallSeconds;
        }

        static Run parse(String line, int lineNo) {
            String[] f = line.split("\t", -1);
            if (f.length != 15) {
                throw new IllegalArgumentException(
                        "runs.tsv line " + lineNo + ": expected 15 fields, got " + f.length);
            }
            try {
                return new Run(
                        f[0],
                        f[1],
                        f[2],
                        Integer.parseInt(f[3]),
                        Long.parseLong(f[4]),
                        Double.parseDouble(f[5]),
                        optional(f[6]),
                        optional(f[7]),
                        optional(f[8]),
                        Long.parseLong(f[9]),
                        Long.parseLong(f[10]),
                        f[11].isEmpty() ? 0 : Long.parseLong(f[11]),
                        optional(f[12]),
                        optional(f[13]),
                        optional(f[14]));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "runs.tsv line " + lineNo + ": not a number: " + e.getMessage(), e);
            }
        }

        private static Double optional(String s) {
            return s.isEmpty() ? null : Double.parseDouble(s);
        }
    }

    /** One pgbench transaction: when it ended (epoch seconds) and its latency, or failed. */
    record Transaction(double endEpoch, double latencyMs, boolean failed) {}

    /** Latency figures of a set of transactions. */
    record Latency(int count, int failed, double p50, double p99) {
        static Latency of(List<Transaction> txs) {
            double[] ms =
                    txs.stream()
                            .filter(t -> !t.failed())
                            .mapToDouble(Transaction::latencyMs)
                            .toArray();
            Arrays.sort(ms);
            int failed = (int) txs.stream().filter(Transaction::failed).count();
            return new Latency(ms.length, failed, percentile(ms, 50), percentile(ms, 99));
        }
    }

    /** Nearest-rank percentile of sorted values; NaN when there are none. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    /**
     * Parses one pgbench per-transaction log: {@code client_id transaction_no time script_no
     * time_epoch time_us [schedule_lag]}, where time is the latency in microseconds (with --rate it
     * counts from the scheduled start, so schedule lag is in it) or a word (failed, serialization,
     * deadlock, skipped) for a transaction that did not complete.
     */
    static List<Transaction> parsePgbenchLog(List<String> lines, String source) {
        List<Transaction> out = new ArrayList<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.trim().split("\\s+");
            if (f.length < 6) {
                throw new IllegalArgumentException(
                        source + " line " + n + ": not a pgbench log line: '" + line + "'");
            }
            double end = Long.parseLong(f[4]) + Long.parseLong(f[5]) / 1e6;
            if (f[2].chars().allMatch(Character::isDigit)) {
                out.add(new Transaction(end, Long.parseLong(f[2]) / 1000.0, false));
            } else if (!f[2].equals("skipped")) {
                out.add(new Transaction(end, Double.NaN, true));
            }
        }
        return out;
    }

    /** What pgbench's summaries of one load say: failed transactions and aborted clients. */
    record Summaries(long failed, long aborted) {
        private static final Pattern FAILED =
                Pattern.compile("number of failed transactions: (\\d+)");
        private static final Pattern ABORTED = Pattern.compile("client \\d+ aborted");

        static Summaries of(List<String> texts) {
            long failed = 0;
            long aborted = 0;
            for (String t : texts) {
                Matcher m = FAILED.matcher(t);
                while (m.find()) {
                    failed += Long.parseLong(m.group(1));
                }
                Matcher a = ABORTED.matcher(t);
                while (a.find()) {
                    aborted++;
                }
            }
            return new Summaries(failed, aborted);
        }
    }

    /** A pgbench load: its transactions and its summaries. */
    record Load(List<Transaction> transactions, Summaries summaries) {
        static Load read(Path dir) throws IOException {
            List<Transaction> txs = new ArrayList<>();
            List<String> summaries = new ArrayList<>();
            if (Files.isDirectory(dir)) {
                try (Stream<Path> files = Files.list(dir).sorted()) {
                    for (Path f : files.toList()) {
                        String name = f.getFileName().toString();
                        if (name.startsWith("summary-")) {
                            summaries.add(Files.readString(f, StandardCharsets.UTF_8));
                        } else if (name.startsWith("seg")) {
                            txs.addAll(
                                    parsePgbenchLog(
                                            Files.readAllLines(f, StandardCharsets.UTF_8),
                                            f.toString()));
                        }
                    }
                }
            }
            return new Load(txs, Summaries.of(summaries));
        }

        List<Transaction> within(double from, double to) {
            return transactions.stream()
                    .filter(t -> t.endEpoch() >= from && t.endEpoch() <= to)
                    .toList();
        }

        /** p99 latency (ms) per whole second since {@code start}, over [start - 3, end + 3]. */
        TreeMap<Integer, Double> p99BySecond(double start, double end) {
            Map<Integer, List<Double>> buckets = new HashMap<>();
            for (Transaction t : transactions) {
                if (!t.failed() && t.endEpoch() >= start - 3 && t.endEpoch() <= end + 3) {
                    int s = (int) Math.floor(t.endEpoch() - start);
                    buckets.computeIfAbsent(s, k -> new ArrayList<>()).add(t.latencyMs());
                }
            }
            TreeMap<Integer, Double> out = new TreeMap<>();
            buckets.forEach(
                    (s, l) -> {
                        double[] v = l.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                        out.put(s, percentile(v, 99));
                    });
            return out;
        }
    }

    /** Everything one run of scripts/bench measured. */
    static final class Report {
        final List<String> setup;
        final List<Run> runs;
        final Load idle;
        final Map<String, Load> loads;

        Report(List<String> setup, List<Run> runs, Load idle, Map<String, Load> loads) {
            this.setup = setup;
            this.runs = runs;
            this.idle = idle;
            this.loads = loads;
        }

        static Report read(Path dir) throws IOException {
            List<String> lines =
                    Files.readAllLines(dir.resolve("runs.tsv"), StandardCharsets.UTF_8);
            List<Run> runs = new ArrayList<>();
            for (int i = 1; i < lines.size(); i++) { // line 1 is the header
                if (!lines.get(i).isBlank()) {
                    runs.add(Run.parse(lines.get(i), i + 1));
                }
            }
            Path setupFile = dir.resolve("setup.txt");
            List<String> setup =
                    Files.exists(setupFile)
                            ? Files.readAllLines(setupFile, StandardCharsets.UTF_8)
                            : List.of();
            Map<String, Load> loads = new HashMap<>();
            for (String op : List.of("add-index", "modify-column")) {
                loads.put(op, Load.read(dir.resolve("pgbench").resolve(op)));
                // The same runs with the adaptive throttle off (section load-off).
                loads.put(op + "-off", Load.read(dir.resolve("pgbench").resolve(op + "-off")));
            }
            return new Report(setup, runs, Load.read(dir.resolve("pgbench/idle")), loads);
        }

        Optional<Run> baseline(String variant) {
            return runs.stream()
                    .filter(r -> r.section().equals("baseline") && r.variant().equals(variant))
                    .findFirst();
        }

        List<Run> backfill(String section, String op) {
            return runs.stream()
                    .filter(r -> r.section().equals(section) && r.op().equals(op))
                    .toList();
        }

        String markdown() {
            StringBuilder md = new StringBuilder("# scripts/bench\n\n");
            for (String s : setup) {
                md.append("- ").append(s).append('\n');
            }
            md.append('\n');
            baselines(md);
            addIndex(md);
            modifyColumn(md);
            underLoad(md);
            md.append(
                    "Wall: scripts/backfill from start to exit (JVM and Flink start-up"
                            + " included); rows/s = rows ÷ wall. Catalog: prepare → public"
                            + " (started_at → finished_at)."
                            + " Heap peak / live: the largest heap in use before a GC or at exit / the largest left after a"
                            + " GC, in the JVM that runs Flink (-Xlog:gc)."
                            + " Sizes: pg_total_relation_size before → after. Oldest"
                            + " transaction: the oldest xact_start of an application_name"
                            + " backfill:* session, sampled every 0.2 s. Latency: pgbench's"
                            + " per-transaction log (schedule lag included), transactions that"
                            + " ended during the Backfill run.\n");
            return md.toString();
        }

        private void baselines(StringBuilder md) {
            md.append("## Offline baselines\n\n")
                    .append(
                            "| work | seconds | rows/s | table MB before → after | new index MB |\n")
                    .append("|---|---|---|---|---|\n");
            for (Run r : runs) {
                if (r.section().equals("baseline")) {
                    md.append(
                            row(
                                    baselineName(r.variant()),
                                    f1(r.wallSeconds()),
                                    f0(r.rowsPerSecond()),
                                    mb(r.tableBefore()) + " → " + mb(r.tableAfter()),
                                    r.indexBytes() == 0 ? "–" : mb(r.indexBytes())));
                }
            }
            md.append('\n');
        }

        private void addIndex(StringBuilder md) {
            Optional<Run> offline = baseline("insert-select");
            Optional<Run> nativeIndex = baseline("create-unique-index");
            md.append("## add-index, unique on email\n\n")
                    .append(
                            "| parallelism | wall s | catalog s | rows/s | wall ÷ INSERT … SELECT"
                                    + " (target ≤ "
                                    + f1(ADD_INDEX_TARGET)
                                    + "×) | wall ÷ CREATE UNIQUE INDEX | heap MB peak / live | table MB"
                                    + " before → after | index table MB | oldest Backfill"
                                    + " transaction s |\n")
                    .append("|---|---|---|---|---|---|---|---|---|---|\n");
            for (Run r : backfill("backfill", "add-index")) {
                md.append(
                        row(
                                Integer.toString(r.parallelism()),
                                f1(r.wallSeconds()),
                                opt1(r.catalogSeconds()),
                                f0(r.rowsPerSecond()),
                                offline.map(b -> ratio(r.wallSeconds() / b.wallSeconds()))
                                        .orElse("–"),
                                nativeIndex
                                        .map(b -> ratio(r.wallSeconds() / b.wallSeconds()))
                                        .orElse("–"),
                                heap(r),
                                mb(r.tableBefore()) + " → " + mb(r.tableAfter()),
                                mb(r.indexBytes()),
                                opt2(r.oldestXactSeconds())));
            }
            md.append('\n');
        }

        private void modifyColumn(StringBuilder md) {
            Optional<Run> loop = baseline("pgroll-loop");
            Optional<Run> alter = baseline("alter-type");
            md.append("## modify-column amount int → bigint, cutover auto\n\n")
                    .append(
                            "| parallelism | wall s | catalog s | rows/s | throughput ÷ pgroll loop"
                                    + " (target ≥ "
                                    + f1(MODIFY_COLUMN_TARGET)
                                    + "×) | wall ÷ ALTER TYPE | heap MB peak / live | table MB before →"
                                    + " after | oldest Backfill transaction s |\n")
                    .append("|---|---|---|---|---|---|---|---|---|\n");
            for (Run r : backfill("backfill", "modify-column")) {
                md.append(
                        row(
                                Integer.toString(r.parallelism()),
                                f1(r.wallSeconds()),
                                opt1(r.catalogSeconds()),
                                f0(r.rowsPerSecond()),
                                loop.map(b -> ratio(b.wallSeconds() / r.wallSeconds())).orElse("–"),
                                alter.map(b -> ratio(r.wallSeconds() / b.wallSeconds()))
                                        .orElse("–"),
                                heap(r),
                                mb(r.tableBefore()) + " → " + mb(r.tableAfter()),
                                opt2(r.oldestXactSeconds())));
            }
            md.append('\n');
        }

        private void underLoad(StringBuilder md) {
            List<Run> loaded =
                    runs.stream()
                            .filter(
                                    r ->
                                            r.section().equals("load")
                                                    || r.section().equals("load-off"))
                            .toList();
            if (loaded.isEmpty()) {
                md.append("## Under load\n\nNot run (--load off).\n\n");
                return;
            }
            Latency idleLatency = Latency.of(idle.transactions());
            md.append("## Under a fixed-rate pgbench load\n\n")
                    .append(
                            String.format(
                                    Locale.ROOT,
                                    "pgbench alone: %d transactions, p50 %s ms, p99 %s ms, %d"
                                            + " failed, %d aborted clients.\n\n",
                                    idleLatency.count(),
                                    f1(idleLatency.p50()),
                                    f1(idleLatency.p99()),
                                    idleLatency.failed() + idle.summaries().failed(),
                                    idle.summaries().aborted()))
                    .append(
                            "| operation | throttle | parallelism | wall s | rows/s | kept vs no"
                                    + " load |"
                                    + " p50 ms idle → during | p99 ms idle → during | p99 ÷ idle"
                                    + " (target ≤ "
                                    + f1(P99_TARGET)
                                    + "×) | failed transactions | aborted clients | oldest"
                                    + " Backfill transaction s (target ≤ 2) | heap MB peak / live |\n")
                    .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Run r : loaded) {
                boolean off = r.section().equals("load-off");
                Load load = loads.get(r.op() + (off ? "-off" : ""));
                Latency during =
                        r.loadStart() == null
                                ? Latency.of(List.of())
                                : Latency.of(load.within(r.loadStart(), r.loadEnd()));
                Optional<Run> quiet =
                        backfill("backfill", r.op()).stream()
                                .filter(q -> q.parallelism() == r.parallelism())
                                .findFirst();
                md.append(
                        row(
                                r.op(),
                                off ? "off" : "on",
                                Integer.toString(r.parallelism()),
                                f1(r.wallSeconds()),
                                f0(r.rowsPerSecond()),
                                quiet.map(q -> ratio(q.wallSeconds() / r.wallSeconds()))
                                        .orElse("–"),
                                f1(idleLatency.p50()) + " → " + f1(during.p50()),
                                f1(idleLatency.p99()) + " → " + f1(during.p99()),
                                ratio(during.p99() / idleLatency.p99()),
                                Long.toString(during.failed() + load.summaries().failed()),
                                Long.toString(load.summaries().aborted()),
                                opt2(r.oldestXactSeconds()),
                                heap(r)));
            }
            md.append('\n');
        }
    }

    static String baselineName(String variant) {
        return switch (variant) {
            case "insert-select" -> "add-index offline: INSERT … SELECT into the index table's DDL";
            case "create-unique-index" -> "add-index reference: native CREATE UNIQUE INDEX";
            case "alter-type" ->
                    "modify-column offline: ALTER TABLE … ALTER COLUMN amount TYPE" + " bigint";
            case "pgroll-loop" ->
                    "modify-column peer: pgroll-style loop, 1000-row FOR NO KEY"
                            + " UPDATE batches";
            default -> variant;
        };
    }

    private static String heap(Run r) {
        return opt0(r.heapMb()) + " / " + opt0(r.liveMb());
    }

    private static String row(String... cells) {
        return "| " + String.join(" | ", cells) + " |\n";
    }

    static String ratio(double r) {
        return Double.isNaN(r) || Double.isInfinite(r)
                ? "–"
                : String.format(Locale.ROOT, "%.2f×", r);
    }

    private static String f0(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String f1(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String opt0(Double v) {
        return v == null ? "–" : f0(v);
    }

    private static String opt1(Double v) {
        return v == null ? "–" : f1(v);
    }

    private static String opt2(Double v) {
        return v == null ? "–" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.0f", bytes / 1048576.0);
    }
}
