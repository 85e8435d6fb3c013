package dev.backfill.local;

import dev.backfill.local.BenchReport.Report;
import dev.backfill.local.BenchReport.Run;

import javax.imageio.ImageIO;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The chart of {@code scripts/bench}, drawn with Java2D (headless, nothing to install): three
 * panels side by side: add-index rows/s by parallelism and modify-column rows/s by parallelism,
 * each with its baseline and the target as horizontal lines; and the foreground p99 latency
 * per second under load, with the idle p99 and the 2× target as lines.
 */
final class BenchChart {
    static final int PANEL_WIDTH = 560;
    static final int HEIGHT = 480;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int TOP = 50;
    private static final int BOTTOM = 145;

    private static final Color BACKFILL = new Color(0x1f, 0x77, 0xb4);
    private static final Color LOADED = new Color(0xd6, 0x27, 0x28);
    private static final Color BASELINE = new Color(0x2c, 0xa0, 0x2c);
    private static final Color TARGET = new Color(0xff, 0x7f, 0x0e);
    private static final Color GRID = new Color(0xe6, 0xe6, 0xe6);

    private BenchChart() {}

    static void write(Report report, Path png) throws IOException {
        BufferedImage img = new BufferedImage(3 * PANEL_WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(
                    RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            throughput(
                    g,
                    0,
                    report,
                    "add-index (unique on email): rows/s",
                    "add-index",
                    report.baseline("insert-select")
                            .map(
                                    b ->
                                            new Line(
                                                    "offline INSERT … SELECT",
                                                    b.rowsPerSecond(),
                                                    BASELINE))
                            .orElse(null),
                    report.baseline("insert-select")
                            .map(
                                    b ->
                                            new Line(
                                                    "target: wall ≤ 1.5× offline",
                                                    b.rowsPerSecond()
                                                            / BenchReport.ADD_INDEX_TARGET,
                                                    TARGET))
                            .orElse(null));
            throughput(
                    g,
                    PANEL_WIDTH,
                    report,
                    "modify-column (int → bigint): rows/s",
                    "modify-column",
                    report.baseline("pgroll-loop")
                            .map(b -> new Line("pgroll-style loop", b.rowsPerSecond(), BASELINE))
                            .orElse(null),
                    report.baseline("pgroll-loop")
                            .map(
                                    b ->
                                            new Line(
                                                    "target: ≥ 1.5× the loop",
                                                    b.rowsPerSecond()
                                                            * BenchReport.MODIFY_COLUMN_TARGET,
                                                    TARGET))
                            .orElse(null));
            latency(g, 2 * PANEL_WIDTH, report);
            // which run this is: the setup's command and machine lines, along the bottom
            g.setColor(Color.DARK_GRAY);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
            g.drawString(
                    String.join(
                            "   ·   ",
                            report.setup.stream()
                                    .filter(
                                            l ->
                                                    l.startsWith("command:")
                                                            || l.startsWith("machine:")
                                                            || l.startsWith("commit:"))
                                    .toList()),
                    LEFT,
                    HEIGHT - 10);
        } finally {
            g.dispose();
        }
        ImageIO.write(img, "png", png.toFile());
    }

    private record Line(String label, double y, Color color) {}

    private record Series(String label, Color color, TreeMap<Double, Double> points) {}

    private static void throughput(
            Graphics2D g,
            int x0,
            Report report,
            String title,
            String op,
            Line baseline,
            Line target) {
        List<Series> series = new ArrayList<>();
        TreeMap<Double, Double> quiet = new TreeMap<>();
        for (Run r : report.backfill("backfill", op)) {
            quiet.put((double) r.parallelism(), r.rowsPerSecond());
        }
        series.add(new Series("Backfill, no load", BACKFILL, quiet));
        TreeMap<Double, Double> loaded = new TreeMap<>();
        for (Run r : report.backfill("load", op)) {
            loaded.put((double) r.parallelism(), r.rowsPerSecond());
        }
        if (!loaded.isEmpty()) {
            series.add(new Series("Backfill under pgbench", LOADED, loaded));
        }
        List<Line> lines = new ArrayList<>();
        if (baseline != null) {
            lines.add(baseline);
        }
        if (target != null) {
            lines.add(target);
        }
        panel(g, x0, title, "parallelism", series, lines, true);
    }

    private static void latency(Graphics2D g, int x0, Report report) {
        List<Series> series = new ArrayList<>();
        Color[] colors = {BACKFILL, LOADED};
        int i = 0;
        for (String op : List.of("add-index", "modify-column")) {
            for (Run r : report.backfill("load", op)) {
                if (r.loadStart() == null) {
                    continue;
                }
                TreeMap<Double, Double> pts = new TreeMap<>();
                for (Map.Entry<Integer, Double> e :
                        report.loads.get(op).p99BySecond(r.loadStart(), r.loadEnd()).entrySet()) {
                    pts.put((double) e.getKey(), e.getValue());
                }
                series.add(
                        new Series(
                                op + " (parallelism " + r.parallelism() + ")",
                                colors[i++ % colors.length],
                                pts));
            }
        }
        List<Line> lines = new ArrayList<>();
        double idleP99 = BenchReport.Latency.of(report.idle.transactions()).p99();
        if (!Double.isNaN(idleP99)) {
            lines.add(new Line("p99 of pgbench alone", idleP99, BASELINE));
            lines.add(new Line("target: 2× idle p99", idleP99 * BenchReport.P99_TARGET, TARGET));
        }
        panel(
                g,
                x0,
                "pgbench p99 latency (ms) per second under load",
                "seconds since the Backfill run started",
                series,
                lines,
                false);
    }

    /** One panel: axes from 0, series as lines with points, horizontal lines, a legend below. */
    private static void panel(
            Graphics2D g,
            int x0,
            String title,
            String xLabel,
            List<Series> series,
            List<Line> lines,
            boolean integerX) {
        int w = PANEL_WIDTH - LEFT - RIGHT;
        int h = HEIGHT - TOP - BOTTOM;
        int left = x0 + LEFT;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.setColor(Color.BLACK);
        g.drawString(title, x0 + LEFT, 28);
        double xMin = Double.MAX_VALUE;
        double xMax = -Double.MAX_VALUE;
        double yMax = 0;
        for (Series s : series) {
            for (Map.Entry<Double, Double> e : s.points().entrySet()) {
                xMin = Math.min(xMin, e.getKey());
                xMax = Math.max(xMax, e.getKey());
                yMax = Math.max(yMax, e.getValue());
            }
        }
        for (Line l : lines) {
            yMax = Math.max(yMax, l.y());
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        if (xMin > xMax) {
            g.drawString("no data (see report.md)", left + 20, TOP + h / 2);
            return;
        }
        if (integerX) {
            xMin = Math.min(xMin, 1) - 0.5;
            xMax = xMax + 0.5;
        } else if (xMax - xMin < 1) {
            xMax = xMin + 1;
        }
        yMax = niceCeiling(yMax * 1.1);
        final double fx0 = xMin;
        final double fx1 = xMax;
        final double fy1 = yMax;
        java.util.function.DoubleUnaryOperator px = x -> left + (x - fx0) / (fx1 - fx0) * w;
        java.util.function.DoubleUnaryOperator py = y -> TOP + h - y / fy1 * h;

        // grid and y ticks
        FontMetrics fm = g.getFontMetrics();
        for (int t = 0; t <= 5; t++) {
            double y = yMax * t / 5;
            int yy = (int) py.applyAsDouble(y);
            g.setColor(GRID);
            g.drawLine(left, yy, left + w, yy);
            g.setColor(Color.DARK_GRAY);
            String label = number(y);
            g.drawString(label, left - 6 - fm.stringWidth(label), yy + 4);
        }
        // x ticks
        List<Double> ticks = new ArrayList<>();
        if (integerX) {
            for (Series s : series) {
                ticks.addAll(s.points().keySet());
            }
        } else {
            double step = niceCeiling((xMax - xMin) / 8);
            for (double x = Math.ceil(xMin / step) * step; x <= xMax; x += step) {
                ticks.add(x);
            }
        }
        for (double x : ticks) {
            int xx = (int) px.applyAsDouble(x);
            g.setColor(Color.DARK_GRAY);
            g.drawLine(xx, TOP + h, xx, TOP + h + 4);
            String label = number(x);
            g.drawString(label, xx - fm.stringWidth(label) / 2, TOP + h + 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, TOP, w, h);
        g.drawString(xLabel, left + w / 2 - fm.stringWidth(xLabel) / 2, TOP + h + 36);

        Stroke solid = new BasicStroke(2f);
        Stroke dashed =
                new BasicStroke(
                        2f,
                        BasicStroke.CAP_BUTT,
                        BasicStroke.JOIN_MITER,
                        10f,
                        new float[] {8f, 6f},
                        0f);
        List<String> legend = new ArrayList<>();
        List<Color> legendColors = new ArrayList<>();
        List<Boolean> legendDashed = new ArrayList<>();
        for (Line l : lines) {
            int yy = (int) py.applyAsDouble(l.y());
            g.setColor(l.color());
            g.setStroke(dashed);
            g.drawLine(left, yy, left + w, yy);
            legend.add(l.label() + " (" + number(l.y()) + ")");
            legendColors.add(l.color());
            legendDashed.add(true);
        }
        for (Series s : series) {
            g.setColor(s.color());
            g.setStroke(solid);
            int[] last = null;
            for (Map.Entry<Double, Double> e : s.points().entrySet()) {
                int xx = (int) px.applyAsDouble(e.getKey());
                int yy = (int) py.applyAsDouble(e.getValue());
                if (last != null) {
                    g.drawLine(last[0], last[1], xx, yy);
                }
                if (integerX) {
                    g.fillOval(xx - 4, yy - 4, 8, 8);
                }
                last = new int[] {xx, yy};
            }
            legend.add(s.label());
            legendColors.add(s.color());
            legendDashed.add(false);
        }
        // legend, one entry a line below the x label
        int ly = TOP + h + 56;
        for (int i = 0; i < legend.size(); i++) {
            int lx = left;
            int yy = ly + i * 18;
            g.setColor(legendColors.get(i));
            g.setStroke(legendDashed.get(i) ? dashed : solid);
            g.drawLine(lx, yy - 4, lx + 22, yy - 4);
            g.setColor(Color.BLACK);
            g.drawString(legend.get(i), lx + 28, yy);
        }
        g.setStroke(new BasicStroke(1f));
    }

    /** The smallest 1, 2 or 5 × 10^k at or above v. */
    static double niceCeiling(double v) {
        if (v <= 0) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(v)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= v) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String number(double value) {
        double v = value == 0 ? 0 : value; // no "-0"
        if (Math.abs(v) >= 1000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return v == Math.rint(v)
                ? String.format(Locale.ROOT, "%.0f", v)
                : String.format(Locale.ROOT, "%.1f", v);
    }
}
