package dev.tessitura.midi.render;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A results table as a picture: one row per model, on the left its negative log-likelihood per frame on a log axis
 * (1 to 100 nats: the baselines and the best models differ by a factor of 30), on the right its accuracy in percent;
 * our figure as a bar, the paper's as a diamond. NaN draws nothing (a figure not measured or not published).
 */
public final class TableImage {
    public static final Color OURS = TrainingCurveImage.TRAIN, PAPER = new Color(40, 40, 40);
    private static final int ROW = 26, TOP = 56, BOTTOM = 40, LABELS = 210, PANEL = 330, GAP = 30, RIGHT = 20;
    private static final double NLL_MIN = 1, NLL_MAX = 100;

    private TableImage() {}

    /**
     * @param ll  {ours, the paper's} log-likelihoods per frame (negative), one per label
     * @param acc {ours, the paper's} accuracies in percent, one per label
     */
    public static BufferedImage render(String title, List<String> labels, double[][] ll, double[][] acc) {
        int n = labels.size(), width = LABELS + 2 * PANEL + GAP + RIGHT, height = TOP + Math.max(n, 1) * ROW + BOTTOM;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.graphics(img);
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.setFont(Draw.TITLE);
            g.setColor(Color.BLACK);
            Draw.centred(g, title, width / 2, 20);
            g.setFont(Draw.LABEL);
            int x1 = LABELS, x2 = LABELS + PANEL + GAP;
            axisNll(g, x1, n);
            axisAcc(g, x2, n);
            for (int i = 0; i < n; i++) {
                int y = TOP + i * ROW, mid = y + ROW / 2;
                g.setColor(Color.BLACK);
                String label = labels.get(i);
                while (g.getFontMetrics().stringWidth(label) > LABELS - 12 && label.length() > 4) label = label.substring(0, label.length() - 4) + "...";
                g.drawString(label, LABELS - 8 - g.getFontMetrics().stringWidth(label), mid + 4);
                bar(g, x1, y, nllX(-ll[0][i]));
                diamond(g, x1, nllX(-ll[1][i]), mid);
                bar(g, x2, y, accX(acc[0][i]));
                diamond(g, x2, accX(acc[1][i]), mid);
            }
            legend(g, width - RIGHT - 190, 30);
        } finally {
            g.dispose();
        }
        return img;
    }

    public static void write(String title, List<String> labels, double[][] ll, double[][] acc, Path file) throws IOException {
        Draw.writePng(render(title, labels, ll, acc), file);
    }

    /** Pixels from the panel's left edge for a negative log-likelihood (clamped to the axis), or -1 for NaN. */
    static int nllX(double nll) {
        if (Double.isNaN(nll)) return -1;
        double v = Math.max(NLL_MIN, Math.min(NLL_MAX, nll));
        return (int) Math.round(Math.log(v / NLL_MIN) / Math.log(NLL_MAX / NLL_MIN) * (PANEL - 1));
    }

    static int accX(double percent) {
        return Double.isNaN(percent) ? -1 : (int) Math.round(Math.max(0, Math.min(100, percent)) / 100 * (PANEL - 1));
    }

    /** Our figure: a bar from the panel's left edge {@code len} pixels long; nothing for -1 (NaN). */
    private static void bar(Graphics2D g, int panel, int y, int len) {
        if (len < 0) return;
        g.setColor(OURS);
        g.fillRect(panel, y + 6, Math.max(len, 1), ROW - 12);
    }

    /** The paper's figure: a diamond {@code at} pixels into the panel; nothing for -1 (NaN). */
    private static void diamond(Graphics2D g, int panel, int at, int y) {
        if (at >= 0) diamond(g, panel + at, y);
    }

    private static void diamond(Graphics2D g, int x, int y) {
        g.setColor(PAPER);
        g.fillPolygon(new Polygon(new int[] {x, x + 5, x, x - 5}, new int[] {y - 6, y, y + 6, y}, 4));
    }

    private static void axisNll(Graphics2D g, int x0, int n) {
        int bottom = TOP + Math.max(n, 1) * ROW;
        for (double v : new double[] {1, 2, 5, 10, 20, 50, 100}) {
            int x = x0 + nllX(v);
            g.setColor(TrainingCurveImage.GRID);
            g.drawLine(x, TOP, x, bottom);
            g.setColor(TrainingCurveImage.AXIS);
            Draw.centred(g, String.format("%.0f", v), x, bottom + 14);
        }
        frame(g, x0, n, "negative log-likelihood per frame (nats, log scale)");
    }

    private static void axisAcc(Graphics2D g, int x0, int n) {
        int bottom = TOP + Math.max(n, 1) * ROW;
        for (int v = 0; v <= 100; v += 20) {
            int x = x0 + accX(v);
            g.setColor(TrainingCurveImage.GRID);
            g.drawLine(x, TOP, x, bottom);
            g.setColor(TrainingCurveImage.AXIS);
            Draw.centred(g, v + "", x, bottom + 14);
        }
        frame(g, x0, n, "frame-level accuracy (%)");
    }

    private static void frame(Graphics2D g, int x0, int n, String label) {
        int bottom = TOP + Math.max(n, 1) * ROW;
        g.setColor(TrainingCurveImage.AXIS);
        g.setStroke(new BasicStroke(1f));
        g.drawRect(x0, TOP, PANEL - 1, bottom - TOP);
        g.setColor(Color.BLACK);
        Draw.centred(g, label, x0 + PANEL / 2, bottom + 30);
    }

    private static void legend(Graphics2D g, int x, int y) {
        g.setColor(OURS);
        g.fillRect(x, y - 8, 18, 10);
        g.setColor(Color.BLACK);
        g.drawString("ours", x + 24, y + 1);
        diamond(g, x + 90, y - 3);
        g.setColor(Color.BLACK);
        g.drawString("the paper's", x + 100, y + 1);
    }
}
