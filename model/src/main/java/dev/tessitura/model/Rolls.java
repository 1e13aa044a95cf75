package dev.tessitura.model;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.DatasetStats;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.MidiWriter;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.PianoRollImage;
import dev.tessitura.midi.render.WavRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/** What the piano-roll models share around their data: loading a training set or a selection, primers, pieces. */
public final class Rolls {
    private Rolls() {}

    /** A training set: the training sequences (perhaps the first few only), the validation ones, notes per frame. */
    public record Training(List<PianoRoll> train, List<PianoRoll> valid, int notes) {
        public long frames() {
            return train.stream().mapToLong(PianoRoll::frames).sum();
        }
    }

    /** The training and validation splits of a data set, the first {@code maxSequences} training ones (0 = all). */
    public static Training training(Path data, int maxSequences, Report report) throws IOException {
        Dataset d = DatasetLoader.load(data);
        List<PianoRoll> train = maxSequences > 0 ? d.train().subList(0, Math.min(maxSequences, d.train().size())) : d.train();
        if (train.isEmpty()) throw new IllegalArgumentException(data + " has no training sequences");
        Training t = new Training(train, d.valid(), train.get(0).noteCount());
        report.line(String.format("data: %s: %d training sequences (%,d frames), %d validation", data, train.size(), t.frames(), d.valid().size()));
        return t;
    }

    /** The training split of a data set: what AIS's base-rate model is fit to. */
    public static List<PianoRoll> trainingSplit(Path data) throws IOException {
        return loaded(data).train();
    }

    /**
     * A data set as read (immutable); the last file read is kept by its path, size and time, since a split
     * evaluation reads it in every task (the base rate's training split, the task's tunes), a mixture's evaluation
     * twice, and reading a data set costs more than a small task's work (bench/RESULTS.md). A MIDI folder, which no
     * one stamp says has changed, is read every time.
     */
    static Dataset loaded(Path data) throws IOException {
        if (!Files.isRegularFile(data)) return DatasetLoader.load(data);
        String key = data.toAbsolutePath().normalize() + "\0" + Files.size(data) + "\0" + Files.getLastModifiedTime(data);
        synchronized (Rolls.class) {
            if (!key.equals(lastKey)) {
                last = DatasetLoader.load(data);
                lastKey = key;
            }
            return last;
        }
    }

    private static String lastKey;
    private static Dataset last;

    /** The sequences an evaluation reads: a split, every N-th of it, the first max of those. */
    public static List<PianoRoll> selection(ModelKind.Selection s) throws IOException {
        List<PianoRoll> rolls = loaded(s.data()).split(s.split());
        if (s.every() > 1) rolls = IntStream.range(0, rolls.size()).filter(i -> i % s.every() == 0).mapToObj(rolls::get).toList();
        if (s.maxSequences() > 0) rolls = rolls.subList(0, Math.min(s.maxSequences(), rolls.size()));
        if (s.maxFrames() > 0) rolls = firstFrames(rolls, s.maxFrames());
        if (rolls.stream().mapToLong(PianoRoll::frames).sum() == 0) {
            throw new IllegalArgumentException(s.data() + ": the " + s.split() + " split has no frames to evaluate"
                    + (rolls.isEmpty() ? " (no sequences)" : ""));
        }
        return rolls;
    }

    /** The rolls' first {@code frames} frames in all: whole rolls while they fit, then the next one cut short. */
    static List<PianoRoll> firstFrames(List<PianoRoll> rolls, int frames) {
        List<PianoRoll> out = new java.util.ArrayList<>();
        for (PianoRoll r : rolls) {
            if (frames <= 0) break;
            out.add(r.frames() <= frames ? r : first(r, frames));
            frames -= r.frames();
        }
        return out;
    }

    /**
     * Transposition augmentation: every roll, and every roll moved by each of {@code lowShift..highShift} semitones
     * (0 excluded) where all its notes stay inside its note range, in that order. Only for a training split: the
     * validation and test splits stay as they are.
     */
    public static List<PianoRoll> transposed(List<PianoRoll> rolls, int lowShift, int highShift) {
        List<PianoRoll> out = new java.util.ArrayList<>(rolls);
        for (PianoRoll r : rolls) {
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int t = 0; t < r.frames(); t++) {
                int[] n = r.notesAt(t);
                if (n.length > 0) {
                    lo = Math.min(lo, n[0]);
                    hi = Math.max(hi, n[n.length - 1]);
                }
            }
            for (int s = lowShift; s <= highShift; s++) {
                if (s == 0 || lo == Integer.MAX_VALUE || lo + s < r.lowestNote() || hi + s > r.highestNote()) continue;
                PianoRoll.Builder b = PianoRoll.builder(r.frames(), r.lowestNote(), r.noteCount());
                for (int t = 0; t < r.frames(); t++) for (int n : r.notesAt(t)) b.set(t, n + s);
                out.add(b.build());
            }
        }
        return out;
    }

    /** A primer tune read as the data sets are (two frames per quarter note, transposed to C), or null. */
    public static PianoRoll primer(Path prime, int notes) throws IOException {
        return prime == null ? null : MidiFolder.readRoll(prime, new MidiFolder.Options(2, true, false, 0)).withRange(PianoRoll.DEFAULT_LOWEST, notes);
    }

    /**
     * Writes a generated roll as MIDI, and beside it a picture (with the model's note probabilities beneath, when
     * given) and a sound; returns the line that says so.
     */
    public static String writePiece(PianoRoll roll, float[] probabilities, String title, Path song) throws IOException {
        String name = song.getFileName().toString(), base = name.substring(0, name.length() - 4);
        Path png = song.resolveSibling(base + ".png"), wav = song.resolveSibling(base + ".wav");
        MidiWriter.write(roll, MidiWriter.Options.DEFAULT, song);
        // the picture and the sound are previews of a long piece: its first frames (the MIDI file has all of it)
        int drawn = Math.min(roll.frames(), PianoRollImage.MAX_FRAMES), heard = Math.min(roll.frames(), PREVIEW_FRAMES);
        PianoRollImage.write(first(roll, drawn), probabilities == null ? null : java.util.Arrays.copyOf(probabilities, drawn * roll.noteCount()),
                PianoRollImage.Options.DEFAULT.withTitle(base + ": " + title + (drawn < roll.frames() ? " (the first " + drawn + " frames)" : ""))
                        .withFramesPerBar(8), png);
        WavRenderer.write(WavRenderer.render(first(roll, heard), WavRenderer.Options.DEFAULT), wav);
        return String.format("wrote %s (%d frames, %d notes), %s, %s%s", song, roll.frames(), roll.noteCells(), png, wav,
                heard < roll.frames() ? " (the picture and the sound show the first " + drawn + " and " + heard + " frames)" : "");
    }

    /** The most frames song.wav plays: 20 minutes at 0.25 s a frame. */
    static final int PREVIEW_FRAMES = 4800;

    private static PianoRoll first(PianoRoll roll, int frames) {
        return frames == roll.frames() ? roll
                : PianoRoll.fromFloats(java.util.Arrays.copyOf(roll.toFloats(), frames * roll.noteCount()), frames, roll.lowestNote(), roll.noteCount());
    }

    /** Each roll with a silent frame before it, so that a model that predicts frame t + 1 from frame t predicts every frame. */
    public static List<PianoRoll> withLeadingSilence(List<PianoRoll> rolls) {
        List<PianoRoll> out = new java.util.ArrayList<>(rolls.size());
        for (PianoRoll r : rolls) {
            PianoRoll.Builder b = PianoRoll.builder(r.frames() + 1, r.lowestNote(), r.noteCount());
            for (int t = 0; t < r.frames(); t++) for (int n : r.notesAt(t)) b.set(t + 1, n);
            out.add(b.build());
        }
        return out;
    }

    /** The first line of every evaluate: what was read, how much, in how long (since t0, System.nanoTime). */
    public static String selectionLine(ModelKind.Selection s, int sequences, long frames, long t0) {
        return String.format(Locale.ROOT, "%s, split %s: %d sequences, %,d frames (%.1f s)", s.data(), s.split(), sequences, frames,
                (System.nanoTime() - t0) / 1e9);
    }

    /** The lines every independent-notes model prints: the log-likelihood (how it is computed; none when NaN) and the accuracies. */
    public static void reportIndependent(Report report, IndependentNotes.Result ev, String how) {
        if (!Double.isNaN(ev.logLikelihood())) {
            report.line(String.format(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (%s)", ev.logLikelihood(), ev.stdErr(), how));
        }
        report.line(String.format(Locale.ROOT, "frame-level accuracy: %.2f%% (expected per time step, exact)%s; pooled sum TP / "
                + "sum (TP + FP + FN): %.2f%% expected, %.2f%% (p > 0.5)", 100 * ev.accuracy(),
                Double.isNaN(ev.accSampled()) ? "" : String.format(Locale.ROOT, ", %.2f%% (from sampled frames)", 100 * ev.accSampled()),
                100 * ev.accPooled(), 100 * ev.accThreshold()));
    }

    /** The trivial predictor's score on the same sequences, so that a model's accuracy can be read against it. */
    public static String repeatBaseline(List<PianoRoll> rolls) {
        return String.format(Locale.ROOT, "baseline: repeating the previous frame scores %.2f%% (per time step), %.2f%% pooled",
                100 * repeatAccuracy(rolls), 100 * DatasetStats.repeatAccuracy(rolls));
    }

    /**
     * The accuracy, by {@link ExpectedAccuracy}'s rule, of predicting every frame as a copy of the one before (silence
     * before the first): the mean over all frames of TP / (TP + FP + FN), an empty frame predicted for an empty one
     * counting 1.
     */
    public static double repeatAccuracy(List<PianoRoll> rolls) {
        ExpectedAccuracy acc = new ExpectedAccuracy();
        for (PianoRoll r : rolls) {
            float[] x = r.toFloats(), silence = new float[r.noteCount()];
            for (int t = 0; t < r.frames(); t++) {
                acc.addExpected(t == 0 ? ExpectedAccuracy.of(x, 0, silence, 0, r.noteCount())
                        : ExpectedAccuracy.of(x, t * r.noteCount(), x, (t - 1) * r.noteCount(), r.noteCount()));
            }
        }
        return acc.value();
    }
}
