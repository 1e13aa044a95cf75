package dev.tessitura.midi;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.Unpickler;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.Cell;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Matrix;

/**
 * Loads a {@link Dataset} from a Boulanger-Lewandowski pickle ({@code .pickle}/{@code .pkl}), a MATLAB v5
 * {@code .mat} file, or a folder of MIDI files ({@link MidiFolder}); rolls use the 88-note range 21..108.
 */
public final class DatasetLoader {
    private DatasetLoader() {}

    /** Picks the form from the path; a MIDI folder's skipped files are summarised on standard error. */
    public static Dataset load(Path path) throws IOException {
        String f = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase();
        if (Files.isDirectory(path)) {
            MidiFolder.Result r = MidiFolder.load(path, MidiFolder.Options.DEFAULT);
            if (!r.skipped().isEmpty()) System.err.print(r.skippedSummary());
            return r.dataset();
        }
        if (f.endsWith(".pickle") || f.endsWith(".pkl")) return loadPickle(path);
        if (f.endsWith(".mat")) return loadMat(path);
        throw new MidiFormatException(path, "unknown data set form (expected .pickle, .pkl, .mat or a folder)");
    }

    /** dict split -> sequences -> frames -> MIDI note numbers (protocols 0-5; lists or tuples; ints or floats). */
    public static Dataset loadPickle(Path file) throws IOException {
        Object top;
        try (InputStream in = Files.newInputStream(file)) {
            top = new Unpickler().load(in);
        } catch (IOException | RuntimeException e) {
            throw new MidiFormatException(file, "not a readable pickle: " + e.getMessage(), e);
        }
        if (!(top instanceof Map<?, ?> m)) throw new MidiFormatException(file, "the pickle holds a " + type(top) + ", not a dict");
        List<List<PianoRoll>> splits = new ArrayList<>();
        for (String s : Dataset.SPLITS) {
            if (!m.containsKey(s)) throw new MidiFormatException(file, "no '" + s + "' split in the pickle");
            List<PianoRoll> rolls = new ArrayList<>();
            for (Object seq : items(m.get(s), file, s)) {
                Collection<?> frames = items(seq, file, s + " sequence");
                PianoRoll.Builder b = PianoRoll.builder(frames.size(), PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
                int t = 0;
                for (Object frame : frames) {
                    for (Object n : items(frame, file, s + " frame")) {
                        int note = number(n, file);
                        if (!b.setIfInRange(t, note)) {
                            throw new MidiFormatException(file, s + " sequence " + rolls.size() + " frame " + t + ": note "
                                    + note + " outside " + PianoRoll.DEFAULT_LOWEST + ".." + (PianoRoll.DEFAULT_LOWEST + PianoRoll.DEFAULT_COUNT - 1));
                        }
                    }
                    t++;
                }
                rolls.add(b.build());
            }
            splits.add(rolls);
        }
        return new Dataset(file.getFileName().toString(), splits.get(0), splits.get(1), splits.get(2));
    }

    private static Collection<?> items(Object o, Path file, String what) throws MidiFormatException {
        if (o instanceof Collection<?> c) return c;
        if (o instanceof Object[] a) return Arrays.asList(a);
        throw new MidiFormatException(file, what + " is a " + type(o) + ", not a list or tuple");
    }

    private static int number(Object n, Path file) throws MidiFormatException {
        double v;
        if (n instanceof Integer || n instanceof Long || n instanceof Short || n instanceof BigInteger) v = ((Number) n).longValue();
        else if (n instanceof Number x) v = x.doubleValue();
        else throw new MidiFormatException(file, "note " + n + " is a " + type(n) + ", not a number");
        if (v != Math.rint(v) || v < 0 || v > 127) throw new MidiFormatException(file, "note " + n + " is not a MIDI note number");
        return (int) v;
    }

    private static String type(Object o) { return o == null ? "None" : o.getClass().getSimpleName(); }

    /** Cell arrays traindata/validdata/testdata of T x 88 0/1 doubles, column j = MIDI 21 + j. */
    public static Dataset loadMat(Path file) throws IOException {
        MatFile mat;
        try {
            mat = Mat5.readFromFile(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new MidiFormatException(file, "not a readable MATLAB v5 file: " + e.getMessage(), e);
        }
        List<List<PianoRoll>> splits = new ArrayList<>();
        try {
            for (String s : Dataset.SPLITS) {
                Cell c = mat.getCell(s + "data");
                List<PianoRoll> rolls = new ArrayList<>();
                for (int i = 0; i < c.getNumElements(); i++) {
                    Array a = c.get(i);
                    if (!(a instanceof Matrix x) || (x.getNumCols() != PianoRoll.DEFAULT_COUNT && x.getNumElements() > 0)) {
                        throw new MidiFormatException(file, s + "data{" + (i + 1) + "} is not a T x " + PianoRoll.DEFAULT_COUNT + " matrix");
                    }
                    int frames = x.getNumElements() == 0 ? 0 : x.getNumRows();
                    PianoRoll.Builder b = PianoRoll.builder(frames, PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
                    for (int t = 0; t < frames; t++) {
                        for (int j = 0; j < PianoRoll.DEFAULT_COUNT; j++) if (x.getDouble(t, j) > 0.5) b.set(t, PianoRoll.DEFAULT_LOWEST + j);
                    }
                    rolls.add(b.build());
                }
                splits.add(rolls);
            }
        } catch (RuntimeException e) { // missing variable or not a cell
            throw new MidiFormatException(file, "not the traindata/validdata/testdata cell layout: " + e.getMessage(), e);
        }
        return new Dataset(file.getFileName().toString(), splits.get(0), splits.get(1), splits.get(2));
    }
}
