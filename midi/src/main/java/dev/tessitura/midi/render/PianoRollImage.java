package dev.tessitura.midi.render;

import dev.tessitura.midi.PianoRoll;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A piano roll as a picture: time on x (one column of {@link Options#pixelsPerFrame} pixels per frame), pitch on y
 * (high notes on top, {@link Options#pixelsPerSemitone} pixels per semitone), note names at every C (MIDI 60 = C4)
 * with faint lines there, frame numbers below, bar numbers above when {@link Options#framesPerBar} is set.
 * Optionally a model's note probabilities are drawn under the notes as a white-yellow-red heat map with a legend.
 *
 * <p>By default the pitch axis is clipped to the notes used (and probabilities of at least {@value #SHOWN_PROBABILITY})
 * plus {@value #MARGIN_SEMITONES} semitones each side, at least an octave; {@link Options#fullRange} shows the roll's
 * whole range. The picture is at least {@value #MIN_WIDTH} pixels wide (room for the title). Rolls so long that the
 * plot would pass {@value #MAX_PLOT_WIDTH} pixels are drawn with fewer pixels per frame (at least one).
 */
public final class PianoRollImage {
    /** Drawing options; {@link #DEFAULT} is 4 px per frame, 5 px per semitone, clipped range, no bars, no title. */
    public record Options(String title, int pixelsPerFrame, int pixelsPerSemitone, boolean fullRange, int framesPerBar) {
        public static final Options DEFAULT = new Options("", 4, 5, false, 0);

        public Options {
            if (title == null || pixelsPerFrame < 1 || pixelsPerSemitone < 1 || framesPerBar < 0) {
                throw new IllegalArgumentException("bad piano-roll image options " + this);
            }
        }

        public Options withTitle(String t) { return new Options(t, pixelsPerFrame, pixelsPerSemitone, fullRange, framesPerBar); }
        public Options withFullRange(boolean f) { return new Options(title, pixelsPerFrame, pixelsPerSemitone, f, framesPerBar); }
        public Options withFramesPerBar(int n) { return new Options(title, pixelsPerFrame, pixelsPerSemitone, fullRange, n); }
    }

    /**
     * Where things are: the picture's size, the plot's top-left corner, the pixel scale actually used and the notes
     * shown. Frame t covers x in [x(t), x(t+1)); note n covers y in [y(n), y(n) + pixelsPerSemitone).
     */
    public record Layout(int width, int height, int plotX, int plotY, int pixelsPerFrame, int pixelsPerSemitone,
                         int lowestShown, int highestShown, int frames, boolean legend) {
        public int x(int frame) { return plotX + frame * pixelsPerFrame; }
        public int y(int note) { return plotY + (highestShown - note) * pixelsPerSemitone; }
        public int plotWidth() { return frames * pixelsPerFrame; }
        public int plotHeight() { return (highestShown - lowestShown + 1) * pixelsPerSemitone; }
    }

    public static final Color BACKGROUND = Color.WHITE;
    public static final Color NOTE = new Color(25, 60, 160);
    static final Color C_LINE = new Color(215, 215, 215), BAR_LINE = new Color(200, 200, 200), AXIS = new Color(90, 90, 90);
    static final int MARGIN_SEMITONES = 3, MAX_PLOT_WIDTH = 16_000;
    /** The most frames a picture shows (one pixel each). */
    public static final int MAX_FRAMES = MAX_PLOT_WIDTH;
    static final double SHOWN_PROBABILITY = 0.05;
    static final int MIN_WIDTH = 360;
    private static final int LEFT = 42, TOP = 26, BAR_ROW = 14, BOTTOM = 38, RIGHT = 14, LEGEND = 70;

    private PianoRollImage() {}

    /** The layout {@link #render} uses; {@code probabilities} is row-major (frames, noteCount) or null. */
    public static Layout layout(PianoRoll roll, float[] probabilities, Options o) {
        checkShape(roll, probabilities);
        int lo = roll.lowestNote(), hi = roll.highestNote();
        if (!o.fullRange()) {
            int usedLo = Integer.MAX_VALUE, usedHi = -1;
            for (int t = 0; t < roll.frames(); t++) {
                for (int j = 0; j < roll.noteCount(); j++) {
                    int n = roll.lowestNote() + j;
                    if (roll.isOn(t, n) || probabilities != null && probabilities[t * roll.noteCount() + j] >= SHOWN_PROBABILITY) {
                        usedLo = Math.min(usedLo, n);
                        usedHi = Math.max(usedHi, n);
                    }
                }
            }
            if (usedHi >= 0) {
                usedLo -= MARGIN_SEMITONES;
                usedHi += MARGIN_SEMITONES;
                int missing = 12 - (usedHi - usedLo + 1); // at least one octave, so a C and its label are visible
                if (missing > 0) { usedLo -= missing / 2; usedHi += missing - missing / 2; }
                // shift back inside the roll's range rather than losing rows
                if (usedLo < lo) { usedHi += lo - usedLo; usedLo = lo; }
                if (usedHi > hi) { usedLo -= usedHi - hi; usedHi = hi; }
                lo = Math.max(lo, usedLo);
                hi = Math.min(hi, usedHi);
            }
        }
        int pf = o.pixelsPerFrame();
        if ((long) roll.frames() * pf > MAX_PLOT_WIDTH) {
            if (roll.frames() > MAX_PLOT_WIDTH) {
                throw new IllegalArgumentException("a roll of " + roll.frames() + " frames is too long to draw (at most "
                        + MAX_PLOT_WIDTH + "); draw a part of it");
            }
            pf = MAX_PLOT_WIDTH / roll.frames();
        }
        int top = TOP + (o.framesPerBar() > 0 ? BAR_ROW : 0);
        boolean legend = probabilities != null;
        // a short roll still gets a picture wide enough for its title; the plot keeps its scale, left-aligned
        int w = Math.max(MIN_WIDTH, LEFT + roll.frames() * pf + RIGHT + (legend ? LEGEND : 0));
        int h = top + (hi - lo + 1) * o.pixelsPerSemitone() + BOTTOM;
        if (legend) h = Math.max(h, top + 130 + BOTTOM); // room for the colour bar on a narrow pitch range
        return new Layout(w, h, LEFT, top, pf, o.pixelsPerSemitone(), lo, hi, roll.frames(), legend);
    }

    /** Probabilities given per frame ({@code [frames][noteCount]}) in the row-major layout {@link #render} takes. */
    public static float[] flatten(float[][] probabilities, int noteCount) {
        float[] flat = new float[probabilities.length * noteCount];
        for (int t = 0; t < probabilities.length; t++) {
            if (probabilities[t].length != noteCount) {
                throw new IllegalArgumentException("probability row " + t + " has " + probabilities[t].length
                        + " values for " + noteCount + " notes");
            }
            System.arraycopy(probabilities[t], 0, flat, t * noteCount, noteCount);
        }
        return flat;
    }

    /** Draws {@code roll}, over the heat map of {@code probabilities} (row-major (frames, noteCount), or null). */
    public static BufferedImage render(PianoRoll roll, float[] probabilities, Options o) {
        Layout l = layout(roll, probabilities, o);
        BufferedImage img = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = Draw.graphics(img);
        try {
            g.setColor(BACKGROUND);
            g.fillRect(0, 0, l.width(), l.height());
            int pf = l.pixelsPerFrame(), ps = l.pixelsPerSemitone();
            if (probabilities != null) {
                for (int t = 0; t < roll.frames(); t++) {
                    for (int n = l.lowestShown(); n <= l.highestShown(); n++) {
                        float p = probabilities[t * roll.noteCount() + n - roll.lowestNote()];
                        if (p > 0) {
                            g.setColor(heat(p));
                            g.fillRect(l.x(t), l.y(n), pf, ps);
                        }
                    }
                }
            }
            // faint guide lines: the bottom pixel row of every C, and the first pixel column of every bar
            for (int n = l.lowestShown(); n <= l.highestShown(); n++) {
                if (n % 12 == 0) {
                    g.setColor(C_LINE);
                    g.drawLine(l.plotX(), l.y(n) + ps - 1, l.plotX() + l.plotWidth() - 1, l.y(n) + ps - 1);
                }
            }
            if (o.framesPerBar() > 0) {
                g.setColor(BAR_LINE);
                for (int t = o.framesPerBar(); t < roll.frames(); t += o.framesPerBar()) {
                    g.drawLine(l.x(t), l.plotY(), l.x(t), l.plotY() + l.plotHeight() - 1);
                }
            }
            g.setColor(NOTE);
            for (int t = 0; t < roll.frames(); t++) {
                for (int n : roll.notesAt(t)) if (n >= l.lowestShown() && n <= l.highestShown()) g.fillRect(l.x(t), l.y(n), pf, ps);
            }
            axes(g, l, o);
            if (l.legend()) legend(g, l);
        } finally {
            g.dispose();
        }
        return img;
    }

    /** Renders and writes a PNG; {@code probabilities} row-major (frames, noteCount), or null. */
    public static void write(PianoRoll roll, float[] probabilities, Options o, Path file) throws IOException {
        Draw.writePng(render(roll, probabilities, o), file);
    }


    /**
     * The heat-map colour of probability p (clamped to [0, 1]): white, yellow, orange, dark red. Each of red, green
     * and blue is non-increasing in p, so a higher probability is never lighter.
     */
    public static Color heat(double p) {
        double[][] stops = {{255, 255, 255}, {255, 237, 160}, {253, 141, 60}, {189, 0, 38}, {110, 0, 20}};
        double x = Math.clamp(p, 0, 1) * (stops.length - 1);
        int i = Math.min((int) x, stops.length - 2);
        double f = x - i;
        int[] c = new int[3];
        for (int k = 0; k < 3; k++) c[k] = (int) Math.round(stops[i][k] + f * (stops[i + 1][k] - stops[i][k]));
        return new Color(c[0], c[1], c[2]);
    }

    /** "C4" for 60: octave numbers with middle C in octave 4. */
    public static String noteName(int midi) {
        String[] names = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};
        return names[Math.floorMod(midi, 12)] + (Math.floorDiv(midi, 12) - 1);
    }

    private static void axes(Graphics2D g, Layout l, Options o) {
        int x0 = l.plotX(), y0 = l.plotY(), w = l.plotWidth(), h = l.plotHeight();
        g.setColor(AXIS);
        g.drawRect(x0 - 1, y0 - 1, w + 1, h + 1);
        var fm = g.getFontMetrics();
        for (int n = l.lowestShown(); n <= l.highestShown(); n++) {
            if (n % 12 != 0) continue;
            int yc = l.y(n) + l.pixelsPerSemitone() / 2;
            String s = noteName(n);
            g.drawLine(x0 - 4, yc, x0 - 2, yc);
            g.drawString(s, x0 - 6 - fm.stringWidth(s), yc + fm.getAscent() / 2 - 1);
        }
        if (l.frames() > 0) {
            int step = (int) Draw.niceStep(Math.max(1, 50.0 / l.pixelsPerFrame())); // a label every 50 px or more
            int last = 0;
            for (int t = 0; t <= l.frames(); t += step) { tick(g, l, t); last = t; }
            // the end of the roll too, unless it would crowd the last label
            if (last != l.frames() && (l.frames() - last) * l.pixelsPerFrame() >= 30) tick(g, l, l.frames());
        }
        String axis = "time (frames)";
        Draw.centred(g, axis, Math.max(x0 + w / 2, x0 + fm.stringWidth(axis) / 2), y0 + h + 8 + 2 * fm.getAscent());
        if (o.framesPerBar() > 0) {
            int every = Math.max(1, (int) Math.ceil(24.0 / (o.framesPerBar() * l.pixelsPerFrame()))); // 24 px apart at least
            g.drawString("bar", x0 - 6 - fm.stringWidth("bar"), y0 - 4);
            for (int b = 0; (long) b * o.framesPerBar() < l.frames(); b += every) {
                g.drawString(Integer.toString(b + 1), l.x(b * o.framesPerBar()) + 2, y0 - 4);
            }
        }
        g.setFont(Draw.TITLE);
        g.setColor(Color.BLACK);
        g.drawString(o.title(), 6, 4 + g.getFontMetrics().getAscent());
        g.setFont(Draw.LABEL);
    }

    private static void tick(Graphics2D g, Layout l, int t) {
        int x = Math.min(l.x(t), l.plotX() + l.plotWidth() - 1);
        g.drawLine(x, l.plotY() + l.plotHeight() + 1, x, l.plotY() + l.plotHeight() + 4);
        Draw.centred(g, Integer.toString(t), x, l.plotY() + l.plotHeight() + 5 + g.getFontMetrics().getAscent());
    }

    private static void legend(Graphics2D g, Layout l) {
        // right of the plot, but clear of the time axis title under a short plot
        int x = Math.max(l.plotX() + l.plotWidth() + 18, l.plotX() + 100), y = l.plotY() + 14, barH = 100, barW = 12;
        g.setColor(Color.BLACK);
        g.drawString("p(on)", x - 4, y - 4);
        for (int i = 0; i < barH; i++) {
            g.setColor(heat(1 - (double) i / (barH - 1)));
            g.drawLine(x, y + i, x + barW - 1, y + i);
        }
        g.setColor(AXIS);
        g.drawRect(x - 1, y - 1, barW + 1, barH + 1);
        var fm = g.getFontMetrics();
        for (int k = 0; k <= 2; k++) {
            int yk = y + (int) Math.round((1 - k / 2.0) * (barH - 1));
            g.drawLine(x + barW, yk, x + barW + 3, yk);
            g.drawString(String.valueOf(k / 2.0), x + barW + 6, yk + fm.getAscent() / 2 - 1);
        }
    }

    private static void checkShape(PianoRoll roll, float[] p) {
        if (p != null && p.length != roll.frames() * roll.noteCount()) {
            throw new IllegalArgumentException(p.length + " probabilities for a " + roll.frames() + " x " + roll.noteCount() + " roll");
        }
    }
}
