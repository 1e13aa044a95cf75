package dev.tessitura.midi.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Cost per epoch as a picture: train and valid as two coloured lines with markers (epoch i at x = i, 1-based),
 * a legend, and axes with 1-2-5 ticks. NaN and infinite values are skipped and break the line; a series may be
 * null or shorter than the other.
 */
public final class TrainingCurveImage {
    public static final int WIDTH = 720, HEIGHT = 440;
    public static final Color BACKGROUND = Color.WHITE;
    public static final Color TRAIN = new Color(31, 119, 180), VALID = new Color(214, 39, 40);
    static final Color GRID = new Color(232, 232, 232), AXIS = new Color(90, 90, 90);
    private static final int LEFT = 70, TOP = 34, RIGHT = 20, BOTTOM = 50;

    /** The plot rectangle and the data ranges it shows; {@link #x} and {@link #y} map data to pixel centres. */
    public record Layout(int plotX, int plotY, int plotWidth, int plotHeight, double xMin, double xMax,
                         double yMin, double yMax, double yStep) {
        public int x(double epoch) { return plotX + (int) Math.round((epoch - xMin) / (xMax - xMin) * (plotWidth - 1)); }
        public int y(double value) { return plotY + (int) Math.round((yMax - value) / (yMax - yMin) * (plotHeight - 1)); }
    }

    private TrainingCurveImage() {}

    /** Epochs 0.5 .. n + 0.5 on x; on y the finite values' range, padded and widened to whole ticks. */
    public static Layout layout(double[] train, double[] valid) {
        int n = Math.max(length(train), length(valid));
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (double[] s : new double[][] {train, valid}) {
            if (s == null) continue;
            for (double v : s) if (Double.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        }
        if (lo > hi) { lo = 0; hi = 1; } // nothing finite to show: empty axes
        double span = hi - lo;
        if (span <= 1e-12 * Math.max(1, Math.abs(hi))) span = Math.max(Math.abs(hi) * 0.1, 1e-3); // one value, or flat
        double pad = 0.05 * span;
        double step = Draw.niceStep((span + 2 * pad) / 6);
        double yMin = Math.floor((lo - pad) / step) * step, yMax = Math.ceil((hi + pad) / step) * step;
        return new Layout(LEFT, TOP, WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM, 0.5, Math.max(n, 1) + 0.5, yMin, yMax, step);
    }

    /** Draws the curves; {@code yLabel} names the cost (e.g. "negative log-likelihood per frame"). */
    public static BufferedImage render(double[] train, double[] valid, String title, String yLabel) {
        Layout l = layout(train, valid);
        if (title == null) title = "";
        if (yLabel == null) yLabel = "cost";
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.graphics(img);
        try {
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            axes(g, l, Math.max(length(train), length(valid)), title, yLabel);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            boolean markers = l.plotWidth() / (l.xMax() - l.xMin()) >= 6; // markers only while they do not overlap
            series(g, l, train, TRAIN, markers, false);
            series(g, l, valid, VALID, markers, true);
            legend(g, l, train != null && train.length > 0, valid != null && valid.length > 0);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders and writes a PNG. */
    public static void write(double[] train, double[] valid, String title, String yLabel, Path file) throws IOException {
        Draw.writePng(render(train, valid, title, yLabel), file);
    }

    private static int length(double[] s) { return s == null ? 0 : s.length; }

    private static void series(Graphics2D g, Layout l, double[] s, Color c, boolean markers, boolean square) {
        if (s == null) return;
        g.setColor(c);
        g.setStroke(new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        for (int i = 0; i + 1 < s.length; i++) {
            if (Double.isFinite(s[i]) && Double.isFinite(s[i + 1])) {
                g.drawLine(l.x(i + 1), l.y(s[i]), l.x(i + 2), l.y(s[i + 1]));
            }
        }
        for (int i = 0; i < s.length; i++) {
            if (!Double.isFinite(s[i])) continue;
            // a lone point (its neighbours missing) gets a marker even when markers are off, or it would vanish
            boolean alone = (i == 0 || !Double.isFinite(s[i - 1])) && (i + 1 == s.length || !Double.isFinite(s[i + 1]));
            if (markers || alone) marker(g, l.x(i + 1), l.y(s[i]), square);
        }
    }

    private static void marker(Graphics2D g, int x, int y, boolean square) {
        if (square) g.fillRect(x - 3, y - 3, 7, 7);
        else g.fillOval(x - 4, y - 4, 9, 9);
    }

    private static void axes(Graphics2D g, Layout l, int epochs, String title, String yLabel) {
        int x0 = l.plotX(), y0 = l.plotY(), w = l.plotWidth(), h = l.plotHeight();
        var fm = g.getFontMetrics();
        Draw.yAxis(g, x0, w, l.yMin(), l.yMax(), l.yStep(), l::y);
        int step = (int) Math.max(1, Draw.niceStep(Math.max(1, epochs) / 10.0));
        for (int e = step == 1 ? 1 : step; e <= Math.max(1, epochs); e += step) {
            int x = l.x(e);
            g.setColor(AXIS);
            g.drawLine(x, y0 + h, x, y0 + h + 4);
            Draw.centred(g, Integer.toString(e), x, y0 + h + 6 + fm.getAscent());
        }
        g.setColor(AXIS);
        g.drawRect(x0 - 1, y0 - 1, w + 1, h + 1);
        g.setColor(Color.BLACK);
        Draw.centred(g, "epoch", x0 + w / 2, y0 + h + 10 + 2 * fm.getAscent());
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        Draw.centred(g, yLabel, -(y0 + h / 2), 16);
        g.setTransform(saved);
        g.setFont(Draw.TITLE);
        // a long title (model and monitor names) shrinks to the image's width rather than running off both edges
        while (g.getFontMetrics().stringWidth(title) > WIDTH - 12 && g.getFont().getSize2D() > 8) {
            g.setFont(g.getFont().deriveFont(g.getFont().getSize2D() - 0.5f));
        }
        int tx = Math.max(6 + g.getFontMetrics().stringWidth(title) / 2, Math.min(x0 + w / 2, WIDTH - 6 - g.getFontMetrics().stringWidth(title) / 2));
        Draw.centred(g, title, tx, 8 + g.getFontMetrics().getAscent());
        g.setFont(Draw.LABEL);
    }

    private static void legend(Graphics2D g, Layout l, boolean train, boolean valid) {
        int x = l.plotX() + l.plotWidth() - 92, y = l.plotY() + 10;
        var fm = g.getFontMetrics();
        int rows = (train ? 1 : 0) + (valid ? 1 : 0);
        if (rows == 0) return;
        g.setColor(BACKGROUND);
        g.fillRect(x - 6, y - 4, 86, rows * 18 + 6);
        g.setColor(AXIS);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x - 6, y - 4, 86, rows * 18 + 6);
        for (int r = 0; r < 2; r++) {
            if (r == 0 ? !train : !valid) continue;
            int yc = y + 8 + (train && r == 1 ? 18 : 0);
            g.setColor(r == 0 ? TRAIN : VALID);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(x, yc, x + 24, yc);
            marker(g, x + 12, yc, r == 1);
            g.setColor(Color.BLACK);
            g.drawString(r == 0 ? "train" : "valid", x + 32, yc + fm.getAscent() / 2 - 1);
        }
    }
}
