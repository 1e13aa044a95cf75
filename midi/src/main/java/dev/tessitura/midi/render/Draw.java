package dev.tessitura.midi.render;

import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** What the image classes share: fonts, nice axis steps, the y axis and PNG output. */
final class Draw {
    static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 13);

    private Draw() {}

    /** A graphics context with antialiased text only, so filled cells keep their exact colours. */
    static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(LABEL);
        return g;
    }

    /** The smallest of 1, 2, 5 times a power of ten that is at least {@code rough} (> 0). */
    static double niceStep(double rough) {
        double p = Math.pow(10, Math.floor(Math.log10(rough)));
        for (double m : new double[] {1, 2, 5, 10}) if (m * p >= rough * (1 - 1e-9)) return m * p;
        return 10 * p;
    }

    /**
     * The y axis of a plot x0 .. x0 + w - 1 wide: a grid line, a tick and a label at every multiple of step from
     * yMin to yMax, with as many decimals as the step needs; {@code y} maps a value to its pixel row.
     */
    static void yAxis(Graphics2D g, int x0, int w, double yMin, double yMax, double step, java.util.function.DoubleToIntFunction y) {
        var fm = g.getFontMetrics();
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        for (int k = 0; ; k++) {
            double v = yMin + k * step;
            if (v > yMax + step * 1e-6) break;
            int row = y.applyAsInt(v);
            g.setColor(TrainingCurveImage.GRID);
            g.drawLine(x0, row, x0 + w - 1, row);
            g.setColor(TrainingCurveImage.AXIS);
            g.drawLine(x0 - 5, row, x0 - 1, row);
            String s = String.format("%." + decimals + "f", v);
            g.drawString(s, x0 - 8 - fm.stringWidth(s), row + fm.getAscent() / 2 - 1);
        }
    }

    /** Draws {@code s} with its centre at x and its baseline at y. */
    static void centred(Graphics2D g, String s, int x, int y) {
        g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, y);
    }

    /** Writes a PNG; a missing folder gives {@link java.nio.file.NoSuchFileException}. */
    static void writePng(BufferedImage img, Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            if (!ImageIO.write(img, "png", out)) throw new IOException("no PNG writer in this JDK");
        }
    }
}
