package dev.tessitura.midi.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SweepImageTest {
    @TempDir Path dir;

    // four trials of a 2 x 2 grid, the third failed
    static final List<SweepImage.Panel> PANELS = List.of(
            new SweepImage.Panel("lr-rbm", List.of("0.001", "0.001", "0.1", "0.1")),
            new SweepImage.Panel("optimizer", List.of("sgd", "nesterov", "sgd", "nesterov")));
    static final double[] SCORES = {-6.2, -5.9, Double.NaN, -4.8};

    @Test
    void markersSitAtTheirValuesAndTheBestIsRed() throws Exception {
        Path png = dir.resolve("sweep.png");
        SweepImage.write(PANELS, SCORES, 3, "valid LL", png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(SweepImage.width(2), img.getWidth());
        assertEquals(SweepImage.height(2), img.getHeight());
        for (int p = 0; p < 2; p++) {
            SweepImage.Layout l = SweepImage.layout(PANELS, p, SCORES);
            for (int i : new int[] {0, 1}) {
                assertEquals(SweepImage.POINT, color(img, l.x(PANELS.get(p).values().get(i)), l.y(SCORES[i])), "panel " + p + " trial " + i);
            }
            assertEquals(SweepImage.BEST, color(img, l.x(PANELS.get(p).values().get(3)), l.y(SCORES[3])), "panel " + p + " best");
            assertTrue(l.y(-4.8) < l.y(-6.2), "a higher score is drawn higher");
        }
        // 0.001 .. 0.1 spans a factor of 100: a log axis; words are categories in the order given
        SweepImage.Layout lr = SweepImage.layout(PANELS, 0, SCORES), opt = SweepImage.layout(PANELS, 1, SCORES);
        assertTrue(lr.numeric() && lr.log());
        assertFalse(opt.numeric());
        assertEquals(List.of("sgd", "nesterov"), opt.categories());
        assertTrue(opt.x("sgd") < opt.x("nesterov"));
        assertTrue(opt.plotX() >= SweepImage.PANEL_WIDTH, "the second panel lies right of the first");
    }

    @Test
    void aFailedTrialIsNotDrawn() {
        SweepImage.Layout l = SweepImage.layout(PANELS, 0, SCORES);
        BufferedImage img = SweepImage.render(PANELS, SCORES, 3, "valid LL");
        // the failed trial's value column holds the best trial only: nothing at the other scores' heights but the best
        int x = l.x("0.1");
        for (int y = l.plotY(); y < l.plotY() + l.plotHeight(); y++) {
            assertNotEquals(SweepImage.POINT, color(img, x, y), "a marker at row " + y);
        }
    }

    @Test
    void linearAxisForANarrowRangeAndOneValue() {
        var panels = List.of(new SweepImage.Panel("hidden", List.of("150", "300")), new SweepImage.Panel("k", List.of("15", "15")));
        double[] scores = {-3, -3};
        SweepImage.Layout hidden = SweepImage.layout(panels, 0, scores), k = SweepImage.layout(panels, 1, scores);
        assertFalse(hidden.log());
        assertTrue(hidden.x("150") < hidden.x("300"));
        assertTrue(k.x("15") > k.plotX() && k.x("15") < k.plotX() + k.plotWidth(), "one value: in the middle");
        assertTrue(k.yMin() < -3 && k.yMax() > -3, "equal scores: a range around them");
        SweepImage.render(panels, scores, -1, "valid LL");                   // no best: draws
    }

    static Color color(BufferedImage img, int x, int y) {
        return new Color(img.getRGB(x, y));
    }
}
