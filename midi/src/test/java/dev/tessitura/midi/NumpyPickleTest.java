package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Pickles written by numpy (resources/numpy, made by make_pickles.py there), compared with what the script wrote. */
class NumpyPickleTest {
    /** make_pickles.py's ON: whether sequence s has MIDI note 21 + j on in frame t. */
    static boolean on(int s, int t, int j) {
        return (3 * t + 5 * j + 7 * s) % 11 == 0 || t == 0 && j == s;
    }

    /** make_pickles.py's sequence s, cut to {@code frames} frames (-1: its own length, 2 + s % 3). */
    static PianoRoll expected(int s, int frames) {
        int n = frames < 0 ? 2 + s % 3 : frames;
        PianoRoll.Builder b = PianoRoll.builder(n, 21, 88);
        for (int t = 0; t < n; t++) for (int j = 0; j < 88; j++) if (on(s, t, j)) b.set(t, 21 + j);
        return b.build();
    }

    static PianoRoll expected(int s) {
        return expected(s, -1);
    }

    static Path resource(String name) throws Exception {
        return Path.of(NumpyPickleTest.class.getResource("/numpy/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"scalars-p2.pkl", "scalars-p4.pkl"})
    void readsNumpyScalarNotesOfEveryWidthAndByteOrder(String file) throws Exception {
        Dataset d = DatasetLoader.load(resource(file));
        assertEquals(List.of(expected(0), expected(1)), d.train());
        assertEquals(List.of(), d.valid()); // an empty split is legal
        assertEquals(List.of(expected(2, 1)), d.test()); // so is a one-frame tune
    }

    @Test
    void readsFramesAsOneDimensionalArrays() throws Exception {
        Dataset d = DatasetLoader.load(resource("frames-p4.pkl"));
        assertEquals(List.of(expected(3), expected(4)), d.train());
        assertEquals(List.of(expected(5)), d.valid());
        assertEquals(List.of(PianoRoll.builder(1, 21, 88).build()), d.test()); // an empty array: a silent frame
    }

    @ParameterizedTest
    @ValueSource(strings = {"rolls-p2.pkl", "rolls-p4.pkl", "rolls-p5.pkl"})
    void readsTwoDimensionalRollsInEveryLayout(String file) throws Exception {
        Dataset d = DatasetLoader.load(resource(file));
        // uint8, bool, float32 T x 128, Fortran-ordered int64
        assertEquals(List.of(expected(6), expected(7), expected(8), expected(9)), d.train());
        // big-endian int32, Fortran-ordered big-endian float64, 0 x 88
        assertEquals(List.of(expected(10), expected(11), PianoRoll.builder(0, 21, 88).build()), d.valid());
        assertEquals(List.of(expected(12, 1)), d.test());
    }

    @Test
    void readsNumpyOneNames(@TempDir Path dir) throws Exception {
        // numpy 1 pickles say numpy.core where numpy 2 says numpy._core (protocol 2 names them in text lines)
        for (String name : List.of("scalars-p2.pkl", "rolls-p2.pkl")) {
            String p2 = new String(Files.readAllBytes(resource(name)), StandardCharsets.ISO_8859_1);
            assertTrue(p2.contains("numpy._core.multiarray\n"));
            Files.write(dir.resolve(name), p2.replace("numpy._core.", "numpy.core.").getBytes(StandardCharsets.ISO_8859_1));
        }
        assertEquals(DatasetLoader.load(resource("scalars-p2.pkl")), DatasetLoader.load(dir.resolve("scalars-p2.pkl")));
        assertEquals(DatasetLoader.load(resource("rolls-p2.pkl")), DatasetLoader.load(dir.resolve("rolls-p2.pkl")));
    }

    @Test
    void readsSplitsFromAnOrderedDict() throws Exception {
        Dataset d = DatasetLoader.load(resource("ordered-p2.pkl"));
        assertEquals(List.of(expected(6)), d.train());
        assertEquals(List.of(expected(5)), d.valid());
        assertEquals(List.of(expected(1)), d.test());
    }

    @Test
    void badNumpyContentIsRefusedWithWhatWasExpected() throws Exception {
        assertRefused("bad-shape.pkl", "train sequence 0", "int64 array of shape (3, 4)", "T x 88");
        assertRefused("bad-bytes.pkl", "uint8 array of shape (2, 88)", "holds 5 bytes", "176 items");
        assertRefused("bad-value.pkl", "train sequence 0 frame 0 column 0", "holds 2.0", "0 or 1");
        assertRefused("bad-dtype.pkl", "train sequence 0 frame 0", "U2", "not a 1-D array of MIDI note numbers");
        assertRefused("bad-class.pkl", "train sequence 0 frame 0", "range object", "not a list of MIDI note numbers");
    }

    private static void assertRefused(String file, String... words) throws Exception {
        Path p = resource(file);
        var e = assertThrows(MidiFormatException.class, () -> DatasetLoader.load(p));
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
    }
}
