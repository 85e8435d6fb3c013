package dev.backfill.local;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * CI's smoke of {@code scripts/bench} (issue #10): the whole script on 10,000 rows with the pgbench
 * load on, end to end: its own PostgreSQL, the offline baselines, Backfill add-index and
 * modify-column, the same under load, then the report and the chart. It checks that every step
 * produced its line and that the chart is a PNG of the expected size; it asserts no timing.
 */
class BenchScriptITCase {

    @Test
    void benchRunsEndToEndAndWritesItsTablesAndChart() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        Path out = root.resolve("target/bench-smoke");
        Path console = root.resolve("target/bench-smoke.log");
        Files.createDirectories(out);
        Process p =
                new ProcessBuilder(
                                List.of(
                                        root.resolve("scripts/bench").toString(),
                                        "--rows",
                                        "10000",
                                        "--parallelism",
                                        "2",
                                        "--load",
                                        "on",
                                        "--scale",
                                        "1",
                                        "--idle-seconds",
                                        "5",
                                        "--out",
                                        out.toString()))
                        .directory(root.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(console.toFile())
                        .start();
        // A guard against a hung script, not a performance assertion.
        boolean finished = p.waitFor(15, TimeUnit.MINUTES);
        if (!finished) {
            p.destroyForcibly();
        }
        String log = Files.readString(console, StandardCharsets.UTF_8);
        assertThat(finished).as("scripts/bench finished; its console:\n%s", log).isTrue();
        assertThat(p.exitValue()).as("exit code; console:\n%s", log).isZero();

        List<String> runs = Files.readAllLines(out.resolve("runs.tsv"), StandardCharsets.UTF_8);
        // header, 4 baselines, 2 Backfill runs without load, 2 under load with the throttle on
        // (the default) and 2 with it off
        assertThat(runs).hasSize(11);
        assertThat(runs.subList(1, 11))
                .extracting(l -> String.join(" ", List.of(l.split("\t")).subList(0, 4)))
                .containsExactly(
                        "baseline add-index insert-select 1",
                        "baseline add-index create-unique-index 1",
                        "baseline modify-column alter-type 1",
                        "baseline modify-column pgroll-loop 1",
                        "backfill add-index backfill 2",
                        "backfill modify-column backfill 2",
                        "load add-index backfill 2",
                        "load modify-column backfill 2",
                        "load-off add-index backfill 2",
                        "load-off modify-column backfill 2");

        String md = Files.readString(out.resolve("report.md"), StandardCharsets.UTF_8);
        assertThat(md)
                .contains("## Offline baselines")
                .contains("## add-index, unique on email")
                .contains("## modify-column amount int → bigint, cutover auto")
                .contains("## Under a fixed-rate pgbench load");
        assertThat(md)
                .containsPattern("(?m)^\\| 2 \\| [0-9.]+ \\| [0-9.]+ \\| [0-9,]+ \\| [0-9.]+×");
        assertThat(md).containsPattern("(?m)^\\| add-index \\| on \\| 2 \\| ");
        assertThat(md).containsPattern("(?m)^\\| modify-column \\| on \\| 2 \\| ");
        assertThat(md).containsPattern("(?m)^\\| add-index \\| off \\| 2 \\| ");
        assertThat(md).containsPattern("(?m)^\\| modify-column \\| off \\| 2 \\| ");
        // the report went to stdout too
        assertThat(log).contains("## add-index, unique on email");

        File png = out.resolve("bench.png").toFile();
        BufferedImage img = ImageIO.read(png);
        assertThat(img).as("%s is a PNG", png).isNotNull();
        assertThat(img.getWidth()).isEqualTo(3 * BenchChart.PANEL_WIDTH);
    }
}
