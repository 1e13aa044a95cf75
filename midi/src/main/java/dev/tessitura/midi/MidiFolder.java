package dev.tessitura.midi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * A folder of MIDI files as a {@link Dataset}: with train/ valid/ test/ sub-folders those are the splits (files in
 * name order), otherwise the files are split by a seeded shuffle into 80/10/10. Bad files are skipped and listed.
 */
public final class MidiFolder {
    /**
     * Conversion options: frames per quarter note, transposition to C, drums, seed of the flat-folder shuffle, and
     * frames dropped from the start of every roll.
     */
    public record Options(int framesPerQuarter, boolean transposeToC, boolean includeDrums, long seed, int skipFrames) {
        public static final Options DEFAULT = new Options(2, true, false, 42);
        /**
         * The convention of Boulanger-Lewandowski's Nottingham.pickle: eighth-note frames, transposed to C, and
         * sampled from the second eighth on (its first frame is our second: measured on the 1037 tunes of
         * datasets/nottingham/midi, 600 rolls then equal the pickle's exactly, none otherwise).
         */
        public static final Options NOTTINGHAM_PICKLE = new Options(2, true, false, 42, 1);

        public Options(int framesPerQuarter, boolean transposeToC, boolean includeDrums, long seed) {
            this(framesPerQuarter, transposeToC, includeDrums, seed, 0);
        }

        public Options {
            if (skipFrames < 0) throw new IllegalArgumentException("skipFrames must be >= 0, got " + skipFrames);
        }
    }

    /** A skipped file and why. */
    public record Skipped(Path file, String reason) {}

    public record Result(Dataset dataset, List<Skipped> skipped) {
        public String skippedSummary() {
            StringBuilder b = new StringBuilder(skipped.size() + " MIDI files skipped\n");
            for (Skipped s : skipped) b.append("  ").append(s.file()).append(": ").append(s.reason()).append('\n');
            return b.toString();
        }
    }

    private MidiFolder() {}

    /** Reads one file to a roll in the 88-note range (out-of-range notes dropped); typed error for bad files. */
    public static PianoRoll readRoll(Path file, Options o) throws IOException {
        NoteSequence seq = MidiReader.read(file, o.includeDrums());
        PianoRoll roll;
        try {
            roll = Quantizer.onBeats(seq, o.framesPerQuarter(), PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT).roll();
        } catch (IllegalArgumentException e) {
            throw new MidiFormatException(file, e.getMessage(), e);
        }
        if (o.skipFrames() > 0) roll = dropFirst(roll, Math.min(o.skipFrames(), roll.frames()));
        return o.transposeToC() ? Keys.toC(roll).roll() : roll;
    }

    /** The roll without its first {@code n} frames. */
    static PianoRoll dropFirst(PianoRoll r, int n) {
        PianoRoll.Builder b = PianoRoll.builder(r.frames() - n, r.lowestNote(), r.noteCount());
        for (int t = n; t < r.frames(); t++) for (int note : r.notesAt(t)) b.set(t - n, note);
        return b.build();
    }

    public static Result load(Path dir, Options o) throws IOException {
        List<Skipped> skipped = new ArrayList<>();
        List<List<PianoRoll>> splits = new ArrayList<>();
        if (Files.isDirectory(dir.resolve("train"))) {
            for (String s : Dataset.SPLITS) {
                Path sub = dir.resolve(s);
                splits.add(Files.isDirectory(sub) ? readAll(midiFiles(sub), o, skipped) : List.of());
            }
        } else {
            List<Path> files = new ArrayList<>(midiFiles(dir));
            Collections.shuffle(files, new Random(o.seed()));
            int nTrain = (int) Math.round(files.size() * 0.8), nValid = (int) Math.round(files.size() * 0.1);
            splits.add(readAll(files.subList(0, nTrain), o, skipped));
            splits.add(readAll(files.subList(nTrain, Math.min(files.size(), nTrain + nValid)), o, skipped));
            splits.add(readAll(files.subList(Math.min(files.size(), nTrain + nValid), files.size()), o, skipped));
        }
        return new Result(new Dataset(dir.getFileName().toString(), splits.get(0), splits.get(1), splits.get(2)), skipped);
    }

    /** The .mid/.midi files of a folder, sorted by name. */
    public static List<Path> midiFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> {
                String n = p.getFileName().toString().toLowerCase();
                return Files.isRegularFile(p) && (n.endsWith(".mid") || n.endsWith(".midi"));
            }).sorted().toList();
        }
    }

    private static List<PianoRoll> readAll(List<Path> files, Options o, List<Skipped> skipped) {
        List<PianoRoll> out = new ArrayList<>();
        for (Path f : files) {
            try {
                out.add(readRoll(f, o));
            } catch (IOException e) {
                skipped.add(new Skipped(f, e.getMessage()));
            }
        }
        return out;
    }
}
