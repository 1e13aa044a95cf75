package dev.tessitura.midi;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A seeded corpus of folk-like tunes that the project makes itself, so that the demo runs on a machine with nothing
 * but the repository: jigs in 6/8 and reels in 4/4, in C major like the transposed benchmark data, eight or sixteen
 * bars over I-IV-V progressions, at the benchmark's resolution of one frame per eighth note. Each bar holds the
 * chord's root in the bass (octave 3), the triad on the beats (octave 4), and a melody (octave 5) that lands on a
 * chord tone at each beat and moves by scale steps in between.
 */
public final class FolkTunes {
    private FolkTunes() {}

    /** Scale degrees of C major as MIDI pitch classes. */
    private static final int[] SCALE = {0, 2, 4, 5, 7, 9, 11};
    /** I, IV, V as (root, third, fifth) pitch classes. */
    private static final int[][] CHORDS = {{0, 4, 7}, {5, 9, 0}, {7, 11, 2}};
    /** Four-bar phrases over I (0), IV (1) and V (2); the last ends on I. */
    private static final int[][] PHRASES = {{0, 1, 2, 0}, {0, 0, 1, 2}, {0, 2, 1, 0}, {0, 1, 0, 2}, {1, 0, 2, 0}};

    /** A data set of {@code train}, {@code valid} and {@code test} tunes from one seed. */
    public static Dataset dataset(long seed, int train, int valid, int test) {
        SplittableRandom r = new SplittableRandom(seed);
        return new Dataset("folk tunes (seed " + seed + ")", tunes(r, train), tunes(r, valid), tunes(r, test));
    }

    private static List<PianoRoll> tunes(SplittableRandom r, int n) {
        List<PianoRoll> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(tune(r));
        return out;
    }

    /** One tune: a jig (6/8: bars of 6 eighths, beats of 3) or a reel (4/4: bars of 8 eighths, beats of 2). */
    static PianoRoll tune(SplittableRandom r) {
        boolean jig = r.nextBoolean();
        int bar = jig ? 6 : 8, beat = jig ? 3 : 2, bars = r.nextBoolean() ? 8 : 16;
        int[] progression = new int[bars];
        for (int p = 0; p < bars; p += 4) {
            int[] phrase = PHRASES[r.nextInt(PHRASES.length)];
            System.arraycopy(phrase, 0, progression, p, 4);
        }
        progression[bars - 2] = 2;   // a cadence: V - I
        progression[bars - 1] = 0;
        PianoRoll.Builder b = PianoRoll.builder(bars * bar, PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
        int degree = 2 + r.nextInt(3);   // the melody's position on the scale, counted from C5
        for (int m = 0; m < bars; m++) {
            int[] chord = CHORDS[progression[m]];
            int t0 = m * bar;
            for (int t = t0; t < t0 + bar; t++) b.set(t, 48 + chord[0]);                     // bass held all bar
            for (int t = t0; t < t0 + bar; t += beat) {
                for (int c : chord) b.set(t, 60 + c);                                        // the triad on each beat
            }
            for (int t = t0; t < t0 + bar; ) {
                boolean onBeat = (t - t0) % beat == 0;
                if (onBeat) degree = nearestChordTone(degree, chord);
                else degree = Math.max(0, Math.min(12, degree + (r.nextBoolean() ? 1 : -1)));
                int length = onBeat && r.nextInt(3) == 0 ? Math.min(beat, t0 + bar - t) : 1;  // a held beat or an eighth
                int pitch = 72 + 12 * (degree / 7) + SCALE[degree % 7];
                for (int d = 0; d < length; d++) b.set(t + d, pitch);
                t += length;
            }
        }
        return b.build();
    }

    /** The scale degree nearest to {@code degree} whose pitch class is in the chord. */
    private static int nearestChordTone(int degree, int[] chord) {
        for (int d = 0; d <= 7; d++) {
            for (int s : new int[] {degree - d, degree + d}) {
                if (s < 0 || s > 12) continue;
                int pc = SCALE[s % 7];
                for (int c : chord) if (c == pc) return s;
            }
        }
        return degree;
    }
}
