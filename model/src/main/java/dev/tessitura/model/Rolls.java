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

    /** The sequences an evaluation reads: a split, every N-th of it, the first max of those. */
    public static List<PianoRoll> selection(ModelKind.Selection s) throws IOException {
        List<PianoRoll> rolls = DatasetLoader.load(s.data()).split(s.split());
        if (s.every() > 1) rolls = IntStream.range(0, rolls.size()).filter(i -> i % s.every() == 0).mapToObj(rolls::get).toList();
        if (s.maxSequences() > 0) rolls = rolls.subList(0, Math.min(s.maxSequences(), rolls.size()));
        if (rolls.stream().mapToLong(PianoRoll::frames).sum() == 0) {
            throw new IllegalArgumentException(s.data() + ": the " + s.split() + " split has no frames to evaluate"
                    + (rolls.isEmpty() ? " (no sequences)" : ""));
        }
        return rolls;
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

    /** The trivial predictor's score on the same sequences, so that a model's accuracy can be read against it. */
    public static String repeatBaseline(List<PianoRoll> rolls) {
        return String.format(Locale.ROOT, "baseline: %.2f%% frame-level accuracy from repeating the previous frame",
                100 * DatasetStats.repeatAccuracy(rolls));
    }
}
