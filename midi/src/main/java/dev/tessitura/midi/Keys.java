package dev.tessitura.midi;

/**
 * Key estimation (Krumhansl-Schmuckler: correlate the duration-weighted pitch-class histogram with the 24 rotated
 * Krumhansl-Kessler profiles) and transposition to C major / C minor.
 */
public final class Keys {
    private static final double[] MAJOR = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
    private static final double[] MINOR = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
    private static final String[] NAMES = {"C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"};

    /** A key: tonic pitch class 0..11 (C = 0) and mode. */
    public record Key(int tonic, boolean minor) {
        /** The shift in -6..+5 semitones that takes this tonic to C. */
        public int shiftToC() {
            int s = Math.floorMod(-tonic, 12);
            return s > 5 ? s - 12 : s;
        }

        @Override
        public String toString() { return NAMES[tonic] + (minor ? " minor" : " major"); }
    }

    /** A transposed roll and how many note cells left the range. */
    public record Transposed(PianoRoll roll, int shift, int droppedCells) {}

    private Keys() {}

    /** Estimates the key from the roll's note cells (each frame a note sounds counts once: duration weighting). */
    public static Key estimate(PianoRoll roll) {
        double[] h = new double[12];
        for (int t = 0; t < roll.frames(); t++) for (int n : roll.notesAt(t)) h[n % 12]++;
        return estimate(h);
    }

    /** Estimates the key from a 12-bin pitch-class histogram (not modified). */
    public static Key estimate(double[] histogram) {
        Key best = new Key(0, false);
        double bestR = Double.NEGATIVE_INFINITY;
        for (int mode = 0; mode < 2; mode++) {
            for (int tonic = 0; tonic < 12; tonic++) {
                double[] p = new double[12];
                for (int i = 0; i < 12; i++) p[(i + tonic) % 12] = (mode == 0 ? MAJOR : MINOR)[i];
                double r = correlation(histogram, p);
                if (r > bestR + 1e-12) { bestR = r; best = new Key(tonic, mode == 1); }
            }
        }
        return best;
    }

    private static double correlation(double[] a, double[] b) {
        double ma = 0, mb = 0;
        for (int i = 0; i < 12; i++) { ma += a[i] / 12; mb += b[i] / 12; }
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < 12; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.sqrt(saa * sbb);
    }

    /** Shifts every note by {@code semitones}; cells that leave the range are dropped and counted. */
    public static Transposed transpose(PianoRoll roll, int semitones) {
        PianoRoll.Builder b = PianoRoll.builder(roll.frames(), roll.lowestNote(), roll.noteCount());
        int dropped = 0;
        for (int t = 0; t < roll.frames(); t++) for (int n : roll.notesAt(t)) if (!b.setIfInRange(t, n + semitones)) dropped++;
        return new Transposed(b.build(), semitones, dropped);
    }

    /** Transposes to C major or C minor by the estimated key's {@link Key#shiftToC()}. */
    public static Transposed toC(PianoRoll roll) {
        return transpose(roll, estimate(roll).shiftToC());
    }
}
