package dev.tessitura.midi;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.razorvine.pickle.Pickler;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Cell;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Matrix;

/** Writes a {@link Dataset} as a pickle (protocol 2, the Boulanger-Lewandowski layout) or a MATLAB v5 .mat file. */
public final class DatasetWriters {
    private DatasetWriters() {}

    /** Picks the form from the extension ({@code .pickle}/{@code .pkl} or {@code .mat}). */
    public static void write(Dataset d, Path file) throws IOException {
        String f = file.getFileName().toString().toLowerCase();
        if (f.endsWith(".pickle") || f.endsWith(".pkl")) writePickle(d, file);
        else if (f.endsWith(".mat")) writeMat(d, file);
        else throw new IllegalArgumentException(file + ": unknown data set form (expected .pickle, .pkl or .mat)");
    }

    public static void writePickle(Dataset d, Path file) throws IOException {
        Map<String, Object> top = new HashMap<>();
        for (String s : Dataset.SPLITS) {
            List<Object> seqs = new ArrayList<>();
            for (PianoRoll r : d.split(s)) {
                List<Object> frames = new ArrayList<>(r.frames());
                for (int t = 0; t < r.frames(); t++) {
                    List<Integer> notes = new ArrayList<>();
                    for (int n : r.notesAt(t)) notes.add(n);
                    frames.add(notes);
                }
                seqs.add(frames);
            }
            top.put(s, seqs);
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            new Pickler(false).dump(top, out);
        }
    }

    /** Rolls must be in the 88-note range 21..108 (other ranges are converted; notes outside are dropped). */
    public static void writeMat(Dataset d, Path file) throws IOException {
        MatFile mat = Mat5.newMatFile();
        for (String s : Dataset.SPLITS) {
            List<PianoRoll> rolls = d.split(s);
            Cell c = Mat5.newCell(1, rolls.size());
            for (int i = 0; i < rolls.size(); i++) {
                PianoRoll r = rolls.get(i).withRange(PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
                Matrix x = Mat5.newMatrix(r.frames(), PianoRoll.DEFAULT_COUNT);
                for (int t = 0; t < r.frames(); t++) for (int n : r.notesAt(t)) x.setDouble(t, n - PianoRoll.DEFAULT_LOWEST, 1);
                c.set(i, x);
            }
            mat.addArray(s + "data", c);
        }
        Files.deleteIfExists(file);
        Mat5.writeToFile(mat, file.toFile());
    }
}
