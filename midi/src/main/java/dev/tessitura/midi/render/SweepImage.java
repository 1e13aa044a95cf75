package dev.tessitura.midi.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A hyper-parameter sweep as a picture: one panel per swept parameter, each trial a marker at its value of that
 * parameter (x) and its score (y), the best trial in red in every panel. Numeric values sit at their value, on a log
 * axis when they are all positive and span a factor of 10 or more; other values (words, lists) are evenly spaced
 * categories in the order given. Trials whose score is not finite (failed) are left out.
 */
public final class SweepImage {
    public static final int PANEL_WIDTH = 360, PANEL_HEIGHT = 300, COLUMNS = 3;
    public static final Color POINT = new Color(31, 119, 180), BEST = new Color(214, 39, 40);
    private static final int LEFT = 64, TOP = 30, RIGHT = 16, BOTTOM = 44;

    /** A swept parameter: its name and every trial's value of it, as text. */
    public record Panel(String name, List<String> values) {}

    /** Where panel p's plot lies and how it maps a trial's value and score to pixels. */
    public record Layout(int plotX, int plotY, int plotWidth, int plotHeight, List<String> categories, boolean numeric, boolean log,
                         double xMin, double xMax, double yMin, double yMax, double yStep) {
        /** The pixel column of a value (its category's, or its number's). */
        public int x(String value) {
            double v = numeric ? position(Double.parseDouble(value)) : categories.indexOf(value);
            return plotX + (int) Math.round((v - xMin) / (xMax - xMin) * (plotWidth - 1));
        }

        public int y(double score) {
            return plotY + (int) Math.round((yMax - score) / (yMax - yMin) * (plotHeight - 1));
        }

        double position(double v) {
            return log ? Math.log10(v) : v;
        }
    }

    private SweepImage() {}

    /** The image's size for n panels: up to three in a row. */
    public static int width(int panels) {
        return PANEL_WIDTH * Math.min(Math.max(panels, 1), COLUMNS);
    }

    public static int height(int panels) {
        return PANEL_HEIGHT * ((Math.max(panels, 1) + COLUMNS - 1) / COLUMNS);
    }

    /** Panel p's layout for these scores. */
    public static Layout layout(List<Panel> panels, int p, double[] scores) {
        Panel panel = panels.get(p);
        List<String> categories = new ArrayList<>();
        for (String v : panel.values()) if (!categories.contains(v)) categories.add(v);
        boolean numeric = categories.stream().allMatch(SweepImage::isNumber);
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        if (numeric) for (String v : categories) { lo = Math.min(lo, Double.parseDouble(v)); hi = Math.max(hi, Double.parseDouble(v)); }
        boolean log = numeric && lo > 0 && hi >= 10 * lo;
        double xMin, xMax;
        if (numeric) {
            double a = log ? Math.log10(lo) : lo, b = log ? Math.log10(hi) : hi, pad = a == b ? 1 : 0.08 * (b - a);
            xMin = a - pad;
            xMax = b + pad;
        } else {
            xMin = -0.5;
            xMax = categories.size() - 0.5;
        }
        double yLo = Double.POSITIVE_INFINITY, yHi = Double.NEGATIVE_INFINITY;
        for (double s : scores) if (Double.isFinite(s)) { yLo = Math.min(yLo, s); yHi = Math.max(yHi, s); }
        if (yLo > yHi) { yLo = 0; yHi = 1; }
        double span = yHi - yLo;
        if (span <= 1e-12 * Math.max(1, Math.abs(yHi))) span = Math.max(Math.abs(yHi) * 0.1, 1e-3);
        double pad = 0.08 * span, step = Draw.niceStep((span + 2 * pad) / 5);
        double yMin = Math.floor((yLo - pad) / step) * step, yMax = Math.ceil((yHi + pad) / step) * step;
        int ox = (p % COLUMNS) * PANEL_WIDTH, oy = (p / COLUMNS) * PANEL_HEIGHT;
        return new Layout(ox + LEFT, oy + TOP, PANEL_WIDTH - LEFT - RIGHT, PANEL_HEIGHT - TOP - BOTTOM, categories, numeric, log,
                xMin, xMax, yMin, yMax, step);
    }

    private static boolean isNumber(String s) {
        try {
            return Double.isFinite(Double.parseDouble(s));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * Draws the panels; {@code scores[i]} is trial i's (NaN: failed), {@code best} the best trial's index (-1: none),
     * {@code yLabel} what the score is.
     */
    public static BufferedImage render(List<Panel> panels, double[] scores, int best, String yLabel) {
        int n = panels.size();
        BufferedImage img = new BufferedImage(width(n), height(n), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.graphics(img);
        try {
            g.setColor(TrainingCurveImage.BACKGROUND);
            g.fillRect(0, 0, img.getWidth(), img.getHeight());
            for (int p = 0; p < n; p++) {
                Layout l = layout(panels, p, scores);
                axes(g, l, panels.get(p).name(), yLabel);
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                List<String> values = panels.get(p).values();
                for (int i = 0; i < scores.length; i++) {
                    if (!Double.isFinite(scores[i]) || i == best) continue;
                    g.setColor(POINT);
                    g.fillOval(l.x(values.get(i)) - 4, l.y(scores[i]) - 4, 9, 9);
                }
                if (best >= 0 && Double.isFinite(scores[best])) {      // last, on top of any trial at the same spot
                    g.setColor(BEST);
                    g.fillRect(l.x(values.get(best)) - 4, l.y(scores[best]) - 4, 9, 9);
                }
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_OFF);
            }
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders and writes a PNG. */
    public static void write(List<Panel> panels, double[] scores, int best, String yLabel, Path file) throws IOException {
        Draw.writePng(render(panels, scores, best, yLabel), file);
    }

    private static void axes(Graphics2D g, Layout l, String name, String yLabel) {
        int x0 = l.plotX(), y0 = l.plotY(), w = l.plotWidth(), h = l.plotHeight();
        var fm = g.getFontMetrics();
        Draw.yAxis(g, x0, w, l.yMin(), l.yMax(), l.yStep(), l::y);
        // a tick and a label at every value tried (labels that would overlap the previous one are skipped)
        int lastRight = Integer.MIN_VALUE;
        for (String c : l.categories()) {
            int x = l.x(c);
            g.setColor(TrainingCurveImage.AXIS);
            g.drawLine(x, y0 + h, x, y0 + h + 4);
            String s = c.length() > 14 ? c.substring(0, 13) + "…" : c;
            int sw = fm.stringWidth(s);
            if (x - sw / 2 > lastRight + 4) {
                Draw.centred(g, s, x, y0 + h + 6 + fm.getAscent());
                lastRight = x + sw / 2;
            }
        }
        g.setColor(TrainingCurveImage.AXIS);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x0 - 1, y0 - 1, w + 1, h + 1);
        g.setColor(Color.BLACK);
        Draw.centred(g, name + (l.log() ? " (log scale)" : ""), x0 + w / 2, y0 + h + 10 + 2 * fm.getAscent());
        g.setFont(Draw.TITLE);
        Draw.centred(g, yLabel + " vs " + name, x0 + w / 2, y0 - 10);
        g.setFont(Draw.LABEL);
    }
}
