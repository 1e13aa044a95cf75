package dev.tessitura.midi.render;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.midi.PianoRoll;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PianoRollImageTest {
    @TempDir Path dir;

    /** 200 frames, an arpeggio C4 E4 G4 C5 repeated every 4 frames, each note held 2 frames. */
    static PianoRoll arpeggio() {
        PianoRoll.Builder b = PianoRoll.builder(200, 21, 88);
        int[] notes = {60, 64, 67, 72};
        for (int t = 0; t < 200; t++) b.set(t, notes[t / 2 % 4]);
        return b.build();
    }

    static Color at(BufferedImage img, int x, int y) { return new Color(img.getRGB(x, y)); }

    @Test
    void pngDecodesWithTheExpectedSizeAndColours() throws Exception {
        PianoRoll roll = arpeggio();
        Path png = dir.resolve("roll.png");
        PianoRollImage.write(roll, null, PianoRollImage.Options.DEFAULT.withTitle("arpeggio"), png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img, "ImageIO could not decode the PNG");
        // notes 60..72 plus 3 semitones each side: 57..75, 19 rows of 5 px; 200 frames of 4 px
        var l = PianoRollImage.layout(roll, null, PianoRollImage.Options.DEFAULT);
        assertEquals(57, l.lowestShown());
        assertEquals(75, l.highestShown());
        assertEquals(42 + 200 * 4 + 14, img.getWidth());
        assertEquals(26 + 19 * 5 + 38, img.getHeight());
        assertEquals(l.width(), img.getWidth());
        assertEquals(l.height(), img.getHeight());
        // frame 0 sounds C4 (60); frame 2 sounds E4 (64): check every pixel of those cells
        for (int dx = 0; dx < 4; dx++) {
            for (int dy = 0; dy < 5; dy++) {
                assertEquals(PianoRollImage.NOTE, at(img, l.x(0) + dx, l.y(60) + dy));
                assertEquals(PianoRollImage.NOTE, at(img, l.x(2) + dx, l.y(64) + dy));
                assertEquals(PianoRollImage.BACKGROUND, at(img, l.x(0) + dx, l.y(64) + dy), "E4 is silent in frame 0");
            }
        }
        assertTrue(l.y(72) < l.y(60), "high notes on top");
        // the faint C line: the bottom pixel row of C4's cell in a frame where C4 is silent
        assertEquals(PianoRollImage.C_LINE, at(img, l.x(2) + 1, l.y(60) + 4));
        assertEquals(PianoRollImage.BACKGROUND, at(img, l.x(2) + 1, l.y(60) + 3));
        // the cell just right of the last frame is outside the plot: not a note
        assertNotEquals(PianoRollImage.NOTE, at(img, l.x(200) + 2, l.y(72) + 2));
    }

    @Test
    void fullRangeShowsAll88Notes() {
        var o = PianoRollImage.Options.DEFAULT.withFullRange(true);
        var l = PianoRollImage.layout(arpeggio(), null, o);
        assertEquals(21, l.lowestShown());
        assertEquals(108, l.highestShown());
        BufferedImage img = PianoRollImage.render(arpeggio(), null, o);
        assertEquals(26 + 88 * 5 + 38, img.getHeight());
        assertEquals(PianoRollImage.NOTE, at(img, l.x(6) + 2, l.y(72) + 2));
    }

    @Test
    void clippedRangeStaysInsideTheRollAndSpansAnOctave() {
        // a single low note: the range is widened to 12 notes but may not go below A0
        PianoRoll low = PianoRoll.builder(3, 21, 88).set(1, 22).build();
        var l = PianoRollImage.layout(low, null, PianoRollImage.Options.DEFAULT);
        assertEquals(21, l.lowestShown());
        assertEquals(32, l.highestShown());
        // an empty roll shows the whole range
        var e = PianoRollImage.layout(PianoRoll.builder(0, 21, 88).build(), null, PianoRollImage.Options.DEFAULT);
        assertEquals(21, e.lowestShown());
        assertEquals(108, e.highestShown());
        assertEquals(0, e.plotWidth());
        assertNotNull(PianoRollImage.render(PianoRoll.builder(0, 21, 88).build(), null, PianoRollImage.Options.DEFAULT));
    }

    @Test
    void heatMapGetsDarkerWithProbabilityAndNotesStayOnTop() throws Exception {
        int frames = 11, n = 88;
        PianoRoll roll = PianoRoll.builder(frames, 21, 88).set(0, 70).build();
        float[][] p = new float[frames][n];
        for (int t = 0; t < frames; t++) p[t][65 - 21] = t / 10f; // 0, 0.1, ..., 1.0 on F4
        p[0][70 - 21] = 0.9f; // under the note
        var o = PianoRollImage.Options.DEFAULT.withTitle("probabilities");
        Path png = dir.resolve("heat.png");
        PianoRollImage.write(roll, PianoRollImage.flatten(p, n), o, png);
        BufferedImage img = ImageIO.read(png.toFile());
        float[] flat = PianoRollImage.flatten(p, n);
        assertEquals(0.3f, flat[3 * n + 65 - 21]);
        var l = PianoRollImage.layout(roll, flat, o);
        assertTrue(l.legend());
        // a long roll with probabilities: plot plus the legend's 70 px
        assertEquals(42 + 200 * 4 + 14 + 70, PianoRollImage.layout(arpeggio(), new float[200 * 88], o).width());
        assertEquals(PianoRollImage.MIN_WIDTH, img.getWidth(), "a short roll gets the minimum width");
        assertEquals(PianoRollImage.BACKGROUND, at(img, l.x(0) + 1, l.y(65) + 2), "p = 0 leaves the background");
        int previous = -1;
        for (int t = 1; t < frames; t++) {
            Color c = at(img, l.x(t) + 1, l.y(65) + 2);
            assertEquals(PianoRollImage.heat(t / 10.0), c);
            int darkness = 765 - c.getRed() - c.getGreen() - c.getBlue();
            assertTrue(darkness > previous, "frame " + t + ": darkness " + darkness + " after " + previous);
            previous = darkness;
        }
        assertEquals(PianoRollImage.NOTE, at(img, l.x(0) + 1, l.y(70) + 2), "the note is drawn over its probability");
    }

    @Test
    void badShapesAndLongRolls() {
        PianoRoll roll = PianoRoll.builder(4, 21, 88).build();
        assertThrows(IllegalArgumentException.class, () -> PianoRollImage.render(roll, new float[4 * 87], PianoRollImage.Options.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> PianoRollImage.render(roll, PianoRollImage.flatten(new float[3][88], 88), PianoRollImage.Options.DEFAULT));
        assertThrows(IllegalArgumentException.class, () -> PianoRollImage.flatten(new float[][] {new float[88], new float[87]}, 88));
        assertThrows(IllegalArgumentException.class, () -> new PianoRollImage.Options("", 0, 5, false, 0));
        // 5000 frames at 4 px would be 20000 px wide: drawn at 16000 / 5000 = 3 px per frame
        var l = PianoRollImage.layout(PianoRoll.builder(5000, 21, 88).set(0, 60).build(), null, PianoRollImage.Options.DEFAULT);
        assertEquals(3, l.pixelsPerFrame());
    }

    @Test
    void barsAddARowOnTop() {
        var o = PianoRollImage.Options.DEFAULT.withFramesPerBar(8);
        var l = PianoRollImage.layout(arpeggio(), null, o);
        assertEquals(26 + 14, l.plotY());
        BufferedImage img = PianoRollImage.render(arpeggio(), null, o);
        // bar line at frame 8 in a row with no note there (E4 plays frames 2-3, 10-11, ...)
        assertEquals(PianoRollImage.BAR_LINE, at(img, l.x(8), l.y(64) + 2));
    }

    @Test
    void noteNames() {
        assertEquals("C4", PianoRollImage.noteName(60));
        assertEquals("A0", PianoRollImage.noteName(21));
        assertEquals("C8", PianoRollImage.noteName(108));
        assertEquals("C1", PianoRollImage.noteName(24));
        assertEquals("F#3", PianoRollImage.noteName(54));
    }

    @Test
    void heatScaleIsMonotone() {
        Color prev = PianoRollImage.heat(0);
        assertEquals(Color.WHITE, prev);
        for (int i = 1; i <= 100; i++) {
            Color c = PianoRollImage.heat(i / 100.0);
            assertTrue(c.getRed() <= prev.getRed() && c.getGreen() <= prev.getGreen() && c.getBlue() <= prev.getBlue(), "at " + i);
            prev = c;
        }
    }
}
