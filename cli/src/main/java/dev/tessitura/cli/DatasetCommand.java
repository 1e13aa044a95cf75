package dev.tessitura.cli;

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
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;

/** {@code tessitura dataset stats|convert}: statistics of a data set, and conversion between its forms. */
final class DatasetCommand {
    static final String USAGE = """
            usage: tessitura dataset stats <path>
                   tessitura dataset convert <in> <out> [options]
              <path>, <in>  a data set: .pickle/.pkl, .mat, or a folder of MIDI files (with train/ valid/ test/
                            sub-folders, or one folder split 80/10/10 by a seeded shuffle)
              <out>         .pickle/.pkl or .mat
            convert options:
              --frames-per-quarter N   MIDI input: frames per quarter note (default 2, eighth notes)
              --seconds S              MIDI input: a fixed frame period in seconds instead (through the tempo map)
              --split-seed S           MIDI input without sub-folders: seed of the shuffle (default 42)
              --skip-frames N          MIDI input: drop the first N frames of every tune (1 reproduces
                                       Nottingham.pickle, whose converter starts one eighth note later)
              --transpose-to-c | --no-transpose
                                       transpose every sequence to C major / C minor (default: yes for MIDI input,
                                       no for a data set file)
              --low L --high H         keep notes L..H only (MIDI numbers in 21..108; default 21 and 108)
            """;

    /** A mistake in the command line: reported with the usage text and exit code 2. */
    static final class UsageError extends RuntimeException {
        UsageError(String message) { super(message); }
    }

    private DatasetCommand() {}

    /** {@code args} are the words after "dataset"; returns 0 ok, 1 failure, 2 usage. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            if (args.length == 0) throw new UsageError("missing sub-command (stats or convert)");
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            return switch (args[0]) {
                case "stats" -> stats(rest, out, err);
                case "convert" -> convert(rest, out, err);
                case "help", "--help", "-h" -> { out.print(USAGE); yield 0; }
                default -> throw new UsageError("unknown sub-command '" + args[0] + "' (stats or convert)");
            };
        } catch (UsageError e) {
            err.println("tessitura dataset: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("tessitura dataset: " + failure(e));
            return 1;
        }
    }

    /** One line for a failure; the JDK's missing-file exceptions only carry the path. */
    static String failure(Exception e) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (t instanceof NoSuchFileException n) return "no such file: " + n.getFile();
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        return m.replace('\n', ' ').strip();
    }

    /** Parses, turning every parse problem into a usage error. */
    static Args parse(String[] argv, Set<String> valued, Set<String> flags) {
        try {
            return Args.parse(argv, valued, flags);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
    }

    static void mustExist(Path p) throws NoSuchFileException {
        if (!Files.exists(p)) throw new NoSuchFileException(p.toString());
    }

    private static int stats(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = parse(argv, Set.of(), Set.of());
        Path in;
        try {
            in = Path.of(a.positional(0, "<path>"));
            a.maxPositionals(1);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        mustExist(in);
        Dataset d;
        if (Files.isDirectory(in)) {
            MidiFolder.Result r = MidiFolder.load(in, MidiFolder.Options.DEFAULT);
            if (!r.skipped().isEmpty()) err.print(r.skippedSummary());
            d = r.dataset();
        } else {
            d = DatasetLoader.load(in);
        }
        out.print(DatasetStats.of(d));
        return 0;
    }

    private static int convert(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = parse(argv, Set.of("frames-per-quarter", "seconds", "split-seed", "low", "high", "skip-frames"),
                Set.of("transpose-to-c", "no-transpose"));
        Path in, to;
        int fpq, low, high, skip;
        double seconds;
        long seed;
        try {
            in = Path.of(a.positional(0, "<in>"));
            to = Path.of(a.positional(1, "<out>"));
            a.maxPositionals(2);
            fpq = a.integer("frames-per-quarter", 2);
            skip = a.integer("skip-frames", 0);
            seconds = a.number("seconds", Double.NaN);
            low = a.integer("low", PianoRoll.DEFAULT_LOWEST);
            high = a.integer("high", PianoRoll.DEFAULT_LOWEST + PianoRoll.DEFAULT_COUNT - 1);
            String s = a.string("split-seed", "42");
            try {
                seed = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new UsageError("--split-seed wants an integer, got '" + s + "'");
            }
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        if (a.flag("transpose-to-c") && a.flag("no-transpose")) throw new UsageError("--transpose-to-c and --no-transpose exclude each other");
        if (a.flag("frames-per-quarter") && a.flag("seconds")) throw new UsageError("--frames-per-quarter and --seconds exclude each other");
        if (fpq < 1) throw new UsageError("--frames-per-quarter must be at least 1, got " + fpq);
        if (skip < 0) throw new UsageError("--skip-frames must be >= 0, got " + skip);
        if (skip > 0 && a.flag("seconds")) throw new UsageError("--skip-frames applies to the beat grid, not --seconds");
        if (a.flag("seconds") && !(seconds > 0)) throw new UsageError("--seconds must be positive, got " + seconds);
        int lo = PianoRoll.DEFAULT_LOWEST, hi = PianoRoll.DEFAULT_LOWEST + PianoRoll.DEFAULT_COUNT - 1;
        if (low < lo || high > hi || low > high) throw new UsageError("--low and --high must satisfy " + lo + " <= low <= high <= " + hi);
        String name = to.getFileName() == null ? "" : to.getFileName().toString().toLowerCase();
        if (!name.endsWith(".pickle") && !name.endsWith(".pkl") && !name.endsWith(".mat")) {
            throw new UsageError("<out> must end in .pickle, .pkl or .mat: " + to);
        }
        mustExist(in);
        boolean midi = Files.isDirectory(in);
        if (!midi) {
            for (String o : List.of("frames-per-quarter", "seconds", "split-seed", "skip-frames")) {
                if (a.flag(o)) throw new UsageError("--" + o + " applies to a MIDI folder, and " + in + " is a file");
            }
        }
        boolean transpose = a.flag("transpose-to-c") || midi && !a.flag("no-transpose");
        Dataset d;
        if (midi) {
            MidiFolder.Result r = a.flag("seconds") ? loadOnSeconds(in, seconds, transpose, seed)
                    : MidiFolder.load(in, new MidiFolder.Options(fpq, transpose, false, seed, skip));
            if (!r.skipped().isEmpty()) err.print(r.skippedSummary());
            d = r.dataset();
        } else {
            d = DatasetLoader.load(in);
            if (transpose) d = map(d, r -> Keys.toC(r).roll());
        }
        if (low != lo || high != hi) {
            long before = cells(d);
            int keepLow = low, keepCount = high - low + 1;
            d = map(d, r -> r.withRange(keepLow, keepCount).withRange(PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT));
            out.println("dropped " + (before - cells(d)) + " note cells outside " + low + ".." + high);
        }
        DatasetWriters.write(d, to);
        out.println("wrote " + to);
        out.print(DatasetStats.of(d));
        return 0;
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
