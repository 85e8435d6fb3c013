package dev.backfill.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The figures and the report of {@code scripts/bench}, from hand-made inputs. */
class BenchReportTest {

    @Test
    void pgbenchLogLinesGiveLatencyEndTimeAndFailures() {
        List<BenchReport.Transaction> txs =
                BenchReport.parsePgbenchLog(
                        List.of(
                                "0 1 2500 0 1700000000 250000 120",
                                "1 1 failed 0 1700000001 0",
                                "",
                                "2 7 skipped 0 1700000002 0",
                                "3 1 10000 0 1700000003 500000"),
                        "seg1.log");
        assertThat(txs).hasSize(3);
        assertThat(txs.get(0).latencyMs()).isEqualTo(2.5);
        assertThat(txs.get(0).endEpoch()).isEqualTo(1700000000.25);
        assertThat(txs.get(1).failed()).isTrue();
        assertThat(txs.get(2).latencyMs()).isEqualTo(10.0);
    }

    @Test
    void aMalformedPgbenchLineIsNamed() {
        assertThatThrownBy(() -> BenchReport.parsePgbenchLog(List.of("0 1 2"), "seg9.log"))
                .hasMessageContaining("seg9.log line 1")
                .hasMessageContaining("'0 1 2'");
    }

    @Test
    void percentileIsNearestRank() {
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) {
            v[i] = i + 1;
        }
        assertThat(BenchReport.percentile(v, 50)).isEqualTo(50);
        assertThat(BenchReport.percentile(v, 99)).isEqualTo(99);
        assertThat(BenchReport.percentile(new double[] {7}, 99)).isEqualTo(7);
        assertThat(BenchReport.percentile(new double[0], 99)).isNaN();
    }

    @Test
    void summariesCountFailedTransactionsAndAbortedClients() {
        BenchReport.Summaries s =
                BenchReport.Summaries.of(
                        List.of(
                                "number of failed transactions: 3 (0.5%)\n",
                                "client 2 aborted in command 5 (SQL) of script 0\n"
                                        + "client 3 aborted in command 5 (SQL) of script 0\n"
                                        + "number of failed transactions: 0 (0.000%)\n"));
        assertThat(s.failed()).isEqualTo(3);
        assertThat(s.aborted()).isEqualTo(2);
    }

    @Test
    void reportHasRatiosToItsBaselinesAndLatencyUnderLoad(@TempDir Path dir) throws Exception {
        write(
                dir.resolve("runs.tsv"),
                "section\top\tvariant\tparallelism\trows\twall_s\tcatalog_s\theap_mb\tlive_mb\ttable_before"
                        + "\ttable_after\tindex_bytes\toldest_xact_s\tload_start\tload_end",
                "baseline\tadd-index\tinsert-select\t1\t1000000\t10.0\t\t\t\t100\t100\t2097152\t\t\t",
                "baseline\tadd-index\tcreate-unique-index\t1\t1000000\t2.0\t\t\t\t100\t100\t1\t\t\t",
                "baseline\tmodify-column\talter-type\t1\t1000000\t5.0\t\t\t\t100\t200\t0\t\t\t",
                "baseline\tmodify-column\tpgroll-loop\t1\t1000000\t50.0\t\t\t\t100\t200\t0\t\t\t",
                "backfill\tadd-index\tbackfill\t2\t1000000\t30.0\t25.5\t300\t40\t1048576\t1048576"
                        + "\t2097152\t0.25\t1000\t1030",
                "backfill\tmodify-column\tbackfill\t2\t1000000\t25.0\t20.0\t280\t38\t1048576\t3145728"
                        + "\t0\t0.3\t2000\t2025",
                "load\tadd-index\tbackfill\t2\t1000000\t40.0\t35.0\t310\t41\t1048576\t1048576"
                        + "\t2097152\t0.5\t1000\t1040");
        write(dir.resolve("setup.txt"), "machine: test");
        // idle: 100 transactions of 1..100 ms; during the add-index run: 100 of 2..200 ms,
        // plus 50 slow ones after it ended, which must not count.
        Path idle = Files.createDirectories(dir.resolve("pgbench/idle"));
        Path during = Files.createDirectories(dir.resolve("pgbench/add-index"));
        StringBuilder idleLog = new StringBuilder();
        StringBuilder duringLog = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            idleLog.append("0 ").append(i).append(' ').append(i * 1000).append(" 0 900 0\n");
            duringLog.append("0 ").append(i).append(' ').append(i * 2000).append(" 0 1010 0\n");
        }
        for (int i = 1; i <= 50; i++) {
            duringLog.append("1 ").append(i).append(" 900000 0 1050 0\n");
        }
        duringLog.append("1 51 failed 0 1020 0\n");
        write(idle.resolve("seg1.123"), idleLog.toString());
        write(during.resolve("seg1.456"), duringLog.toString());
        write(during.resolve("summary-1.txt"), "number of failed transactions: 0 (0.000%)");

        BenchReport.Report r = BenchReport.Report.read(dir);
        String md = r.markdown();

        // add-index: 30 s against the offline 10 s and the native index's 2 s
        assertThat(md)
                .contains(
                        "| 2 | 30.0 | 25.5 | 33,333 | 3.00× | 15.00× | 300 / 40 | 1 → 1 | 2 | 0.25 |");
        // modify-column: the loop's 50 s against 25 s is twice its throughput; 5× ALTER TYPE
        assertThat(md)
                .contains("| 2 | 25.0 | 20.0 | 40,000 | 2.00× | 5.00× | 280 / 38 | 1 → 3 | 0.30 |");
        // under load: 30 s quiet vs 40 s loaded; p50 50 → 100 ms, p99 99 → 198 ms; 1 failed
        assertThat(md)
                .contains(
                        "| add-index | on | 2 | 40.0 | 25,000 | 0.75× | 50.0 → 100.0 | 99.0 → 198.0 |"
                                + " 2.00× | 1 | 0 | 0.50 | 310 / 41 |");
        assertThat(md).contains("pgbench alone: 100 transactions, p50 50.0 ms, p99 99.0 ms");
        assertThat(md).contains("- machine: test");

        Path png = dir.resolve("bench.png");
        BenchChart.write(r, png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).isNotNull();
        assertThat(img.getWidth()).isEqualTo(3 * BenchChart.PANEL_WIDTH);
        assertThat(img.getHeight()).isEqualTo(BenchChart.HEIGHT);
    }

    @Test
    void aShortRunsLineIsNamed(@TempDir Path dir) throws Exception {
        write(dir.resolve("runs.tsv"), "header", "baseline\tadd-index");
        assertThatThrownBy(() -> BenchReport.Report.read(dir))
                .hasMessageContaining("runs.tsv line 2: expected 15 fields, got 2");
    }

    @Test
    void niceCeilingRoundsUpToOneTwoOrFive() {
        assertThat(BenchChart.niceCeiling(0.0)).isEqualTo(1);
        assertThat(BenchChart.niceCeiling(13)).isEqualTo(20);
        assertThat(BenchChart.niceCeiling(41_000)).isEqualTo(50_000);
        assertThat(BenchChart.niceCeiling(100)).isEqualTo(100);
    }

    private static void write(Path file, String... lines) throws Exception {
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }
}
