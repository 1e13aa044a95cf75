package dev.tessitura.cli;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.DatasetStats;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.Keys;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.MidiFormatException;
import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.Quantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tessitura dataset stats|convert}: statistics of a data set, and conversion between its forms. */
@Command(name = "dataset", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "(stats | convert)",
        description = "Statistics of a data set, and conversion between its forms. A data set is a .pickle/.pkl, a .mat, or a "
                + "folder of MIDI files (with train/ valid/ test/ sub-folders, or one folder split 80/10/10 by a seeded shuffle).",
        subcommands = {DatasetCommand.Stats.class, DatasetCommand.Convert.class})
final class DatasetCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing sub-command (stats or convert)");
    }

    static void mustExist(Path p) throws NoSuchFileException {
        if (!Files.exists(p)) throw new NoSuchFileException(p.toString());
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Per-split sequences, frames, notes, range, notes per frame, "
            + "and the accuracy of repeating the previous frame (the baseline a next-frame model must beat).")
    static final class Stats implements Callable<Integer> {
        private final Io io;
        @Parameters(paramLabel = "<path>", description = "the data set") Path in;

        Stats(Io io) {
            this.io = io;
        }

        @Override public Integer call() throws IOException {
            mustExist(in);
            Dataset d;
            if (Files.isDirectory(in)) {
                MidiFolder.Result r = MidiFolder.load(in, MidiFolder.Options.DEFAULT);
                if (!r.skipped().isEmpty()) io.err().print(r.skippedSummary());
                d = r.dataset();
            } else {
                d = DatasetLoader.load(in);
            }
            if (d.train().isEmpty() && d.valid().isEmpty() && d.test().isEmpty()) {
                throw new IllegalArgumentException(in + ": no sequences" + (Files.isDirectory(in) ? " (no readable MIDI files)" : ""));
            }
            io.out().print(DatasetStats.of(d));
            return 0;
        }
    }

    @Command(name = "convert", mixinStandardHelpOptions = true, sortOptions = false,
            description = "Convert a MIDI folder to a pickle or .mat, or between them (quantisation, transposition to C, range).")
    static final class Convert implements Callable<Integer> {
        private final Io io;
        @Spec CommandSpec spec;
        @Parameters(index = "0", paramLabel = "<in>", description = "the data set to read") Path in;
        @Parameters(index = "1", paramLabel = "<out>", description = ".pickle/.pkl or .mat") Path to;
        @Option(names = "--frames-per-quarter", paramLabel = "N", description = "MIDI input: frames per quarter note (default: 2, eighth notes)")
        Integer framesPerQuarter;
        @Option(names = "--seconds", paramLabel = "S", description = "MIDI input: a fixed frame period in seconds instead (through the tempo map)")
        Double seconds;
        @Option(names = "--split-seed", paramLabel = "S", description = "MIDI input without sub-folders: seed of the shuffle (default: 42)")
        Long splitSeed;
        @Option(names = "--skip-frames", paramLabel = "N", description = "MIDI input: drop the first N frames of every tune (1 reproduces "
                + "Nottingham.pickle, whose converter starts one eighth note later)")
        Integer skipFrames;
        @Option(names = "--transpose-to-c", description = "transpose every sequence to C major / C minor (the default for MIDI input)")
        boolean transposeToC;
        @Option(names = "--no-transpose", description = "do not transpose (the default for a data set file)")
        boolean noTranspose;
        @Option(names = "--low", paramLabel = "L", description = "keep notes L..H only (MIDI numbers in 21..108; default: 21)") Integer low;
        @Option(names = "--high", paramLabel = "H", description = "(default: 108)") Integer high;

        Convert(Io io) {
            this.io = io;
        }

        private ParameterException usage(String message) {
            return new ParameterException(spec.commandLine(), message);
        }

        @Override public Integer call() throws IOException {
            int fpq = framesPerQuarter == null ? 2 : framesPerQuarter, skip = skipFrames == null ? 0 : skipFrames;
            long seed = splitSeed == null ? 42 : splitSeed;
            int lo = PianoRoll.DEFAULT_LOWEST, hi = PianoRoll.DEFAULT_LOWEST + PianoRoll.DEFAULT_COUNT - 1;
            int keepLow = low == null ? lo : low, keepHigh = high == null ? hi : high;
            if (transposeToC && noTranspose) throw usage("--transpose-to-c and --no-transpose exclude each other");
            if (framesPerQuarter != null && seconds != null) throw usage("--frames-per-quarter and --seconds exclude each other");
            if (fpq < 1) throw usage("--frames-per-quarter must be at least 1, got " + fpq);
            if (skip < 0) throw usage("--skip-frames must be >= 0, got " + skip);
            if (skip > 0 && seconds != null) throw usage("--skip-frames applies to the beat grid, not --seconds");
            if (seconds != null && !(seconds > 0 && seconds < Double.POSITIVE_INFINITY)) throw usage("--seconds must be positive, got " + seconds);
            if (keepLow < lo || keepHigh > hi || keepLow > keepHigh) throw usage("--low and --high must satisfy " + lo + " <= low <= high <= " + hi);
            String name = to.getFileName() == null ? "" : to.getFileName().toString().toLowerCase();
            if (!name.endsWith(".pickle") && !name.endsWith(".pkl") && !name.endsWith(".mat")) {
                throw usage("<out> must end in .pickle, .pkl or .mat: " + to);
            }
            mustExist(in);
            boolean midi = Files.isDirectory(in);
            if (!midi) {
                if (framesPerQuarter != null) throw usage("--frames-per-quarter applies to a MIDI folder, and " + in + " is a file");
                if (seconds != null) throw usage("--seconds applies to a MIDI folder, and " + in + " is a file");
                if (splitSeed != null) throw usage("--split-seed applies to a MIDI folder, and " + in + " is a file");
                if (skipFrames != null) throw usage("--skip-frames applies to a MIDI folder, and " + in + " is a file");
            }
            boolean transpose = transposeToC || midi && !noTranspose;
            Dataset d;
            if (midi) {
                MidiFolder.Result r = seconds != null ? loadOnSeconds(in, seconds, transpose, seed)
                        : MidiFolder.load(in, new MidiFolder.Options(fpq, transpose, false, seed, skip));
                if (!r.skipped().isEmpty()) io.err().print(r.skippedSummary());
                d = r.dataset();
            } else {
                d = DatasetLoader.load(in);
                if (transpose) d = map(d, r -> Keys.toC(r).roll());
            }
            if (keepLow != lo || keepHigh != hi) {
                long before = cells(d);
                int keepCount = keepHigh - keepLow + 1;
                d = map(d, r -> r.withRange(keepLow, keepCount).withRange(PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT));
                io.out().println("dropped " + (before - cells(d)) + " note cells outside " + keepLow + ".." + keepHigh);
            }
            DatasetWriters.write(d, to);
            io.out().println("wrote " + to);
            if (d.train().isEmpty() && d.valid().isEmpty() && d.test().isEmpty()) {
                throw new IllegalArgumentException(in + ": no sequences" + (Files.isDirectory(in) ? " (no readable MIDI files)" : ""));
            }
            io.out().print(DatasetStats.of(d));
            return 0;
        }
    }

    private static long cells(Dataset d) {
        long n = 0;
        for (String s : Dataset.SPLITS) for (PianoRoll r : d.split(s)) n += r.noteCells();
        return n;
    }

    private static Dataset map(Dataset d, java.util.function.UnaryOperator<PianoRoll> f) {
        List<List<PianoRoll>> out = new ArrayList<>();
        for (String s : Dataset.SPLITS) out.add(d.split(s).stream().map(f).toList());
        return new Dataset(d.name(), out.get(0), out.get(1), out.get(2));
    }

    /**
     * A MIDI folder on a fixed grid of {@code seconds}: the same files, splits and shuffle as {@link MidiFolder#load},
     * which only knows the beat grid. (If MidiFolder.Options gains a frame period, this can go.)
     */
    static MidiFolder.Result loadOnSeconds(Path dir, double seconds, boolean transpose, long seed) throws IOException {
        List<MidiFolder.Skipped> skipped = new ArrayList<>();
        List<List<PianoRoll>> splits = new ArrayList<>();
        if (Files.isDirectory(dir.resolve("train"))) {
            for (String s : Dataset.SPLITS) {
                Path sub = dir.resolve(s);
                splits.add(Files.isDirectory(sub) ? readAll(MidiFolder.midiFiles(sub), seconds, transpose, skipped) : List.of());
            }
        } else {
            List<Path> files = new ArrayList<>(MidiFolder.midiFiles(dir));
            Collections.shuffle(files, new Random(seed));
            int nTrain = (int) Math.round(files.size() * 0.8), nValid = (int) Math.round(files.size() * 0.1);
            int validEnd = Math.min(files.size(), nTrain + nValid);
            splits.add(readAll(files.subList(0, nTrain), seconds, transpose, skipped));
            splits.add(readAll(files.subList(nTrain, validEnd), seconds, transpose, skipped));
            splits.add(readAll(files.subList(validEnd, files.size()), seconds, transpose, skipped));
        }
        Dataset d = new Dataset(dir.getFileName().toString(), splits.get(0), splits.get(1), splits.get(2));
        return new MidiFolder.Result(d, skipped);
    }

    private static List<PianoRoll> readAll(List<Path> files, double seconds, boolean transpose, List<MidiFolder.Skipped> skipped) {
        List<PianoRoll> out = new ArrayList<>();
        for (Path f : files) {
            try {
                PianoRoll r;
                try {
                    r = Quantizer.onSeconds(MidiReader.read(f), seconds, PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT).roll();
                } catch (IllegalArgumentException e) {
                    throw new MidiFormatException(f, e.getMessage(), e);
                }
                out.add(transpose ? Keys.toC(r).roll() : r);
            } catch (IOException e) {
                skipped.add(new MidiFolder.Skipped(f, e.getMessage()));
            }
        }
        return out;
    }
}
