package dev.tessitura.midi;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import net.razorvine.pickle.objects.ClassDict;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.Cell;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Matrix;

/**
 * Loads a {@link Dataset} from a Boulanger-Lewandowski pickle ({@code .pickle}/{@code .pkl}), a MATLAB v5
 * {@code .mat} file, or a folder of MIDI files ({@link MidiFolder}); rolls use the 88-note range 21..108.
 *
 * <p>The size of what a file asks for is checked before it is built: a data set may hold {@link #maxFrames()}
 * frames in all (from the JVM's heap), one sequence {@link #MAX_SEQUENCE_FRAMES}. Anything unusable is a
 * {@link MidiFormatException} naming the file, the place in it, and what was expected.
 */
public final class DatasetLoader {
    /** Heap bytes allowed per loaded frame: its row as the models' float input at the widest range (4 x 128). */
    static final int BYTES_PER_FRAME = 512;
    /** Frames one sequence may have: the same cap as a MIDI file's roll. */
    public static final int MAX_SEQUENCE_FRAMES = Quantizer.MAX_FRAMES;
    /** A frame names at most this many notes (more can only be repeats; the cap bounds the work per frame). */
    static final int MAX_NOTES_PER_FRAME = 128;
    /** Unpickled objects take several times the pickle's bytes: files above heap / this are refused. */
    static final int PICKLE_HEAP_FACTOR = 16;
    /** A .mat file's variables, uncompressed, may take at most heap / this. */
    static final int MAT_HEAP_FACTOR = 4;

    private static final String RANGE = PianoRoll.DEFAULT_LOWEST + ".." + (PianoRoll.DEFAULT_LOWEST + PianoRoll.DEFAULT_COUNT - 1);

    private DatasetLoader() {}

    /** Frames a loaded data set may hold in all: the JVM's max heap ({@code -Xmx}) / {@value #BYTES_PER_FRAME}. */
    public static long maxFrames() {
        return Runtime.getRuntime().maxMemory() / BYTES_PER_FRAME;
    }

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

    /**
     * A dict with the splits 'train', 'valid' and 'test' (other keys are ignored), each a list (or tuple, or 1-D
     * numpy object array) of sequences. A sequence is either a list of frames, each a list, tuple, set or 1-D numpy
     * array of MIDI note numbers in 21..108 (ints, integral floats or numpy scalars), or a 2-D numpy 0/1 piano roll
     * (bool, int or float): T x 88 with column j = MIDI 21 + j, or T x 128 with column j = MIDI j. Protocols 0-5;
     * numpy 1 and 2; either byte order; C or Fortran order.
     */
    public static Dataset loadPickle(Path file) throws IOException {
        long size = Files.size(file), heap = Runtime.getRuntime().maxMemory();
        if (size > heap / PICKLE_HEAP_FACTOR) {
            throw new MidiFormatException(file, "a pickle of " + mb(size) + " needs about " + PICKLE_HEAP_FACTOR
                    + " times that in memory, more than this JVM's heap of " + mb(heap) + " has; raise -Xmx");
        }
        Object top = PickleData.load(Files.readAllBytes(file), file);
        if (!(top instanceof Map<?, ?> m)) { // (an OrderedDict or other dict subclass is a ClassDict, a Map)
            throw new MidiFormatException(file, "the pickle holds " + describe(top) + ", not a dict of the splits " + splitNames());
        }
        // first the sizes, so that a small file whose shared objects repeat into billions of frames is refused at once
        List<List<?>> splits = new ArrayList<>();
        long total = 0;
        for (String s : Dataset.SPLITS) {
            if (!m.containsKey(s)) {
                throw new MidiFormatException(file, "no '" + s + "' split in " + (m instanceof ClassDict ? describe(m)
                        : "the pickle's dict") + "; " + (m.isEmpty() ? "it is empty"
                        : "its keys are " + m.keySet().stream().map(k -> k instanceof String x ? "'" + x + "'" : describe(k))
                                .sorted().collect(Collectors.joining(", "))));
            }
            List<?> seqs = list(m.get(s));
            if (seqs == null) throw new MidiFormatException(file, "the '" + s + "' split is " + describe(m.get(s)) + ", not a list of sequences");
            for (int i = 0; i < seqs.size(); i++) total += checkLength(frameCount(seqs.get(i), file, s, i), file, s + " sequence " + i);
            splits.add(seqs);
        }
        checkTotal(total, file);
        List<List<PianoRoll>> rolls = new ArrayList<>();
        for (int k = 0; k < splits.size(); k++) {
            List<PianoRoll> out = new ArrayList<>();
            for (Object seq : splits.get(k)) out.add(roll(seq, file, Dataset.SPLITS.get(k) + " sequence " + out.size()));
            rolls.add(out);
        }
        return new Dataset(file.getFileName().toString(), rolls.get(0), rolls.get(1), rolls.get(2));
    }

    private static long frameCount(Object seq, Path file, String split, int i) throws MidiFormatException {
        if (seq instanceof PickleData.NdArray a && a.dims() == 2) return a.length(0);
        List<?> frames = list(seq);
        if (frames == null) {
            throw new MidiFormatException(file, split + " sequence " + i + " is " + describe(seq)
                    + ", not a list of frames or a 2-D piano-roll array");
        }
        return frames.size();
    }

    private static long checkLength(long frames, Path file, String where) throws MidiFormatException {
        if (frames > MAX_SEQUENCE_FRAMES) {
            throw new MidiFormatException(file, where + " has " + frames + " frames, more than the " + MAX_SEQUENCE_FRAMES
                    + " a sequence may have");
        }
        return frames;
    }

    private static void checkTotal(long frames, Path file) throws MidiFormatException {
        if (frames > maxFrames()) {
            throw new MidiFormatException(file, "the data set has " + frames + " frames, more than the " + maxFrames()
                    + " that this JVM's heap of " + mb(Runtime.getRuntime().maxMemory()) + " allows ("
                    + BYTES_PER_FRAME + " bytes a frame); raise -Xmx or use a smaller data set");
        }
    }

    private static PianoRoll roll(Object seq, Path file, String where) throws MidiFormatException {
        if (seq instanceof PickleData.NdArray a && a.objects() == null) return roll(a, file, where);
        List<?> frames = list(seq);
        PianoRoll.Builder b = PianoRoll.builder(frames.size(), PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
        for (int t = 0; t < frames.size(); t++) {
            Object frame = frames.get(t);
            String at = where + " frame " + t;
            if (frame instanceof PickleData.NdArray a && a.objects() == null) {
                if (a.dims() != 1 || !a.numeric() || a.dtype().kind == 'b') {
                    throw new MidiFormatException(file, at + " is " + a + ", not a 1-D array of MIDI note numbers");
                }
                checkNoteCount(a.length(0), file, at);
                for (int k = 0; k < a.length(0); k++) set(b, t, note(a.value(k), file, at), file, at);
            } else {
                List<?> notes = list(frame);
                if (notes == null) throw new MidiFormatException(file, at + " is " + describe(frame) + ", not a list of MIDI note numbers");
                checkNoteCount(notes.size(), file, at);
                for (Object n : notes) set(b, t, note(n, file, at), file, at);
            }
        }
        return b.build();
    }

    /** A 2-D numpy piano roll: T x 88 (column j = MIDI 21 + j) or T x 128 (column j = MIDI j), values 0 or 1. */
    private static PianoRoll roll(PickleData.NdArray a, Path file, String where) throws MidiFormatException {
        int count = PianoRoll.DEFAULT_COUNT;
        if (a.dims() != 2 || !a.numeric() || a.length(1) != count && a.length(1) != 128) {
            throw new MidiFormatException(file, where + " is " + a + "; expected a T x " + count + " (MIDI " + RANGE
                    + ") or T x 128 (MIDI 0..127) 0/1 piano roll, or a list of frames of note numbers");
        }
        int frames = (int) a.length(0), columns = (int) a.length(1), lowest = columns == count ? PianoRoll.DEFAULT_LOWEST : 0;
        PianoRoll.Builder b = PianoRoll.builder(frames, PianoRoll.DEFAULT_LOWEST, count);
        for (int t = 0; t < frames; t++) {
            for (int j = 0; j < columns; j++) {
                double v = a.value(t, j);
                if (v == 0) continue;
                String at = where + " frame " + t;
                if (v != 1) throw new MidiFormatException(file, at + " column " + j + " holds " + v + "; a piano roll holds 0 or 1");
                set(b, t, lowest + j, file, at);
            }
        }
        return b.build();
    }

    private static void checkNoteCount(long notes, Path file, String at) throws MidiFormatException {
        if (notes > MAX_NOTES_PER_FRAME) {
            throw new MidiFormatException(file, at + " names " + notes + " notes; a frame has at most " + MAX_NOTES_PER_FRAME);
        }
    }

    private static void set(PianoRoll.Builder b, int t, int note, Path file, String at) throws MidiFormatException {
        if (!b.setIfInRange(t, note)) throw new MidiFormatException(file, at + ": note " + note + " outside " + RANGE);
    }

    /** A note number: an int, an integral float or a numpy scalar in 0..127. */
    private static int note(Object n, Path file, String at) throws MidiFormatException {
        if (!(n instanceof Number x)) throw new MidiFormatException(file, at + ": note " + describe(n) + " is not a number");
        if (x instanceof BigInteger b && b.bitLength() > 8) throw notANote(x.toString(), file, at); // longValue() would wrap
        return note(x instanceof Double || x instanceof Float ? x.doubleValue() : x.longValue(), file, at);
    }

    private static int note(double v, Path file, String at) throws MidiFormatException {
        if (!(v >= 0 && v <= 127 && v == Math.rint(v))) {
            throw notANote(v == Math.rint(v) && Math.abs(v) < 1e18 ? Long.toString((long) v) : Double.toString(v), file, at);
        }
        return (int) v;
    }

    private static MidiFormatException notANote(String v, Path file, String at) {
        return new MidiFormatException(file, at + ": " + v + " is not a MIDI note number (an integer 0..127)");
    }

    /** Lists, tuples, sets and 1-D numpy object arrays as a list; null for anything else. */
    private static List<?> list(Object o) {
        if (o instanceof List<?> l) return l;
        if (o instanceof Collection<?> c) return new ArrayList<>(c);
        if (o instanceof Object[] a) return Arrays.asList(a);
        if (o instanceof PickleData.NdArray a) return a.objects();
        return null;
    }

    /** What a pickled object is, in Python's words, for messages. */
    static String describe(Object o) {
        return switch (o) {
            case null -> "None";
            case ClassDict c -> "a Python " + c.getClassName() + " object"; // (a HashMap)
            case Map<?, ?> m -> "a dict";
            case List<?> l -> "a list";
            case Collection<?> c -> "a set";
            case Object[] a -> "a tuple";
            case String s -> "the str '" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
            case Boolean b -> "the bool " + (b ? "True" : "False");
            case Number n when n instanceof Double || n instanceof Float -> "the float " + n;
            case Number n -> "the int " + n;
            case byte[] b -> "a bytes object";
            case PickleData.NdArray a -> a.toString();
            default -> "a " + o.getClass().getSimpleName();
        };
    }

    private static String splitNames() {
        return Dataset.SPLITS.stream().map(s -> "'" + s + "'").collect(Collectors.joining(", "));
    }

    private static String mb(long bytes) {
        return (bytes + (1 << 19) >> 20) + " MB";
    }

    /** Cell arrays traindata/validdata/testdata of T x 88 0/1 doubles, column j = MIDI 21 + j. */
    public static Dataset loadMat(Path file) throws IOException {
        checkMat(file);
        MatFile mat;
        try {
            mat = Mat5.readFromFile(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new MidiFormatException(file, "not a readable MATLAB v5 file (" + e.getClass().getSimpleName() + ")", e);
        }
        List<Cell> cells = new ArrayList<>();
        long total = 0;
        for (String s : Dataset.SPLITS) {
            Array v = null;
            List<String> names = new ArrayList<>();
            for (MatFile.Entry e : mat.getEntries()) {
                names.add(e.getName());
                if (e.getName().equals(s + "data")) v = e.getValue();
            }
            if (v == null) throw new MidiFormatException(file, "no '" + s + "data' variable; the file has " + names);
            if (!(v instanceof Cell c)) throw new MidiFormatException(file, "'" + s + "data' is a " + v.getType() + " array, not a cell array");
            for (int i = 0; i < c.getNumElements(); i++) {
                String where = s + "data{" + (i + 1) + "}";
                Array a = c.get(i);
                if (!(a instanceof Matrix x) || x.getNumDimensions() != 2 || x.getNumCols() != PianoRoll.DEFAULT_COUNT && x.getNumElements() > 0) {
                    throw new MidiFormatException(file, where + " is a " + a.getType() + " array of size "
                            + Arrays.toString(a.getDimensions()) + ", not a T x " + PianoRoll.DEFAULT_COUNT + " matrix");
                }
                total += checkLength(x.getNumElements() == 0 ? 0 : x.getNumRows(), file, where);
            }
            cells.add(c);
        }
        checkTotal(total, file);
        List<List<PianoRoll>> splits = new ArrayList<>();
        for (Cell c : cells) {
            List<PianoRoll> rolls = new ArrayList<>();
            for (int i = 0; i < c.getNumElements(); i++) {
                Matrix x = c.get(i);
                int frames = x.getNumElements() == 0 ? 0 : x.getNumRows();
                PianoRoll.Builder b = PianoRoll.builder(frames, PianoRoll.DEFAULT_LOWEST, PianoRoll.DEFAULT_COUNT);
                for (int t = 0; t < frames; t++) {
                    for (int j = 0; j < PianoRoll.DEFAULT_COUNT; j++) if (x.getDouble(t, j) > 0.5) b.set(t, PianoRoll.DEFAULT_LOWEST + j);
                }
                rolls.add(b.build());
            }
            splits.add(rolls);
        }
        return new Dataset(file.getFileName().toString(), splits.get(0), splits.get(1), splits.get(2));
    }

    /**
     * Walks a .mat file's top-level variables before MFL reads it: a truncated file is named as such, and variables
     * whose uncompressed size (a compressed one's is in its first inflated bytes) would not fit the heap are refused.
     */
    private static void checkMat(Path file) throws IOException {
        long size = Files.size(file), heap = Runtime.getRuntime().maxMemory();
        if (size > heap / MAT_HEAP_FACTOR) throw new MidiFormatException(file, mb(size) + " is too big a .mat file for this JVM's heap of " + mb(heap) + "; raise -Xmx");
        byte[] b = Files.readAllBytes(file);
        if (b.length < 128) throw new MidiFormatException(file, "truncated: " + b.length + " bytes, shorter than the 128-byte MATLAB v5 header");
        ByteOrder order = b[126] == 'I' && b[127] == 'M' ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        ByteBuffer buf = ByteBuffer.wrap(b).order(order);
        long unpacked = 0;
        for (long pos = 128; pos < b.length; ) {
            if (pos + 8 > b.length) throw new MidiFormatException(file, "truncated: the variable at byte " + pos + " has no complete header");
            int type = buf.getInt((int) pos);
            long n = buf.getInt((int) pos + 4) & 0xFFFFFFFFL;
            if (type >>> 16 != 0) { // small data element: its data is in the header
                pos += 8;
                continue;
            }
            if (pos + 8 + n > b.length) {
                throw new MidiFormatException(file, "truncated: the variable at byte " + pos + " claims " + n
                        + " bytes, and the file has " + (b.length - pos - 8) + " left");
            }
            unpacked += type == 15 ? 8 + inflatedSize(b, (int) pos + 8, (int) n, order, file, pos) : n; // 15: miCOMPRESSED
            pos += 8 + n;
        }
        if (unpacked > heap / MAT_HEAP_FACTOR) {
            throw new MidiFormatException(file, "its variables take " + mb(unpacked) + " uncompressed, too much for this JVM's heap of "
                    + mb(heap) + "; raise -Xmx");
        }
    }

    /** The size a compressed variable declares in its inflated tag. */
    private static long inflatedSize(byte[] b, int from, int n, ByteOrder order, Path file, long pos) throws MidiFormatException {
        Inflater inf = new Inflater();
        try {
            inf.setInput(b, from, n);
            byte[] tag = new byte[8];
            int got = 0;
            for (int k = -1; got < 8 && k != 0; got += k) k = inf.inflate(tag, got, 8 - got); // 0: input ran out
            if (got < 8) throw new MidiFormatException(file, "the compressed variable at byte " + pos + " is truncated or corrupt");
            return ByteBuffer.wrap(tag).order(order).getInt(4) & 0xFFFFFFFFL;
        } catch (DataFormatException e) {
            throw new MidiFormatException(file, "the compressed variable at byte " + pos + " is corrupt (bad zlib data)", e);
        } finally {
            inf.end();
        }
    }
}
