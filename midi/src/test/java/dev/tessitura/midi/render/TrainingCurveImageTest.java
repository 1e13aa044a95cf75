package dev.tessitura.midi.render;

import static org.junit.jupiter.api.Assertions.*;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingCurveImageTest {
    @TempDir Path dir;

    static Color at(BufferedImage img, int x, int y) { return new Color(img.getRGB(x, y)); }

    static boolean near(Color a, Color b, int tol) {
        return Math.abs(a.getRed() - b.getRed()) + Math.abs(a.getGreen() - b.getGreen()) + Math.abs(a.getBlue() - b.getBlue()) <= tol;
    }

    @Test
    void pngDecodesAndMarkersSitAtTheirValues() throws Exception {
        double[] train = {9.5, 8.1, 7.4, 7.0, 6.8, 6.7};
        double[] valid = {9.7, 8.6, 8.0, 7.8, 7.8, 7.9};
        Path png = dir.resolve("curve.png");
        TrainingCurveImage.write(train, valid, "RNN-RBM on Nottingham", "NLL per frame", png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(TrainingCurveImage.WIDTH, img.getWidth());
        assertEquals(TrainingCurveImage.HEIGHT, img.getHeight());
        var l = TrainingCurveImage.layout(train, valid);
        assertTrue(l.yMin() <= 6.7 && l.yMax() >= 9.7, l.toString());
        for (int e = 1; e <= 6; e++) {
            assertEquals(TrainingCurveImage.TRAIN, at(img, l.x(e), l.y(train[e - 1])), "train epoch " + e);
            assertEquals(TrainingCurveImage.VALID, at(img, l.x(e), l.y(valid[e - 1])), "valid epoch " + e);
        }
        assertTrue(l.y(9.5) < l.y(6.7), "higher cost is drawn higher");
        assertTrue(l.x(1) < l.x(6));
        // ticks are whole multiples of a 1-2-5 step
        double k = l.yMin() / l.yStep();
        assertEquals(Math.rint(k), k, 1e-9);
    }

    @Test
    void nanBreaksTheLine() {
        double[] train = {3, Double.NaN, 1};
        BufferedImage img = TrainingCurveImage.render(train, null, "t", "cost");
        var l = TrainingCurveImage.layout(train, null);
        assertEquals(TrainingCurveImage.TRAIN, at(img, l.x(1), l.y(3)));
        assertEquals(TrainingCurveImage.TRAIN, at(img, l.x(3), l.y(1)));
        // where the line from epoch 1 to 3 would pass there is no train colour
        for (int dx = -3; dx <= 3; dx++) {
            for (int dy = -3; dy <= 3; dy++) {
                Color c = at(img, l.x(2) + dx, l.y(2) + dy);
                assertFalse(near(c, TrainingCurveImage.TRAIN, 120), "line drawn through the NaN at " + dx + "," + dy + ": " + c);
            }
        }
        // while a line without the gap does pass there
        double[] full = {3, 2, 1};
        BufferedImage img2 = TrainingCurveImage.render(full, null, "t", "cost");
        assertEquals(TrainingCurveImage.TRAIN, at(img2, l.x(2), l.y(2)));
    }

    @Test
    void oneEpochAndDegenerateInputs() {
        double[] train = {2.5}, valid = {2.7};
        BufferedImage img = TrainingCurveImage.render(train, valid, "one epoch", "cost");
        var l = TrainingCurveImage.layout(train, valid);
        assertEquals(TrainingCurveImage.TRAIN, at(img, l.x(1), l.y(2.5)));
        assertEquals(TrainingCurveImage.VALID, at(img, l.x(1), l.y(2.7)));
        // a flat curve, only NaN, nothing at all: drawn without error, with a usable y range
        for (double[] s : new double[][] {{4, 4, 4}, {Double.NaN, Double.POSITIVE_INFINITY}, {}}) {
            var ls = TrainingCurveImage.layout(s, null);
            assertTrue(ls.yMax() > ls.yMin(), ls.toString());
            assertEquals(TrainingCurveImage.WIDTH, TrainingCurveImage.render(s, null, "x", "cost").getWidth());
        }
    }

    @Test
    void aLongTitleStaysInsideTheImage() {
        String title = "rnn-rbm: train: free-energy gap per frame; valid: -log-likelihood per frame (AIS 10 x 300, every 40th sequence)";
        BufferedImage img = TrainingCurveImage.render(new double[] {1, 2}, new double[] {2, 3}, title, "cost");
        int ink = 0;
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                boolean dark = (img.getRGB(x, y) & 0xff) < 128;
                if (dark && (x < 3 || x >= img.getWidth() - 3)) throw new AssertionError("title touches the edge at x = " + x);
                if (dark) ink++;
            }
        }
        assertTrue(ink > 200, "the title is drawn: " + ink + " dark pixels");
    }

    @Test
    void niceSteps() {
        assertEquals(0.2, Draw.niceStep(0.13), 1e-12);
        assertEquals(10, Draw.niceStep(7), 1e-12);
        assertEquals(1, Draw.niceStep(1), 1e-12);
        assertEquals(0.005, Draw.niceStep(0.0042), 1e-12);
        assertEquals(50, Draw.niceStep(21), 1e-12);
    }
}
