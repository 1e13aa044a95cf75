package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import net.razorvine.pickle.Pickler;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import us.hebi.matlab.mat.format.Mat5;

/** Degenerate data-set files: each is refused at once with a message naming the file and what was expected. */
class DatasetLoaderTest {
    @TempDir Path dir;

    /** A pickle of {@code train} with empty valid and test splits; shared objects are written once (memo). */
    private Path pickle(String name, Object train) throws Exception {
        return pickle(name, Map.of("train", train, "valid", List.of(), "test", List.of()));
    }

    private Path pickle(String name, Map<String, ?> top) throws Exception {
        return write(name, new Pickler(true).dumps(top));
    }

    private Path write(String name, byte[] bytes) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    private static String refused(Path p, String... words) {
        var e = assertThrows(MidiFormatException.class, () -> DatasetLoader.load(p));
        assertTrue(e.getMessage().startsWith(p + ": "), e.getMessage());
        for (String w : words) assertTrue(e.getMessage().contains(w), "'" + w + "' not in: " + e.getMessage());
        for (String raw : List.of("java.", "Exception", "For input string", "cannot be cast")) {
            assertFalse(e.getMessage().contains(raw), "library text in: " + e.getMessage());
        }
        return e.getMessage();
    }

    @Test
    void sharedObjectsThatExpandToBillionsOfFramesAreRefusedAtOnce() throws Exception {
        // 220 KB: one frame object 10^4 times in a sequence, that sequence 10^5 times in the split
        List<Object> seq = Collections.nCopies(10_000, new ArrayList<Object>(List.of(60)));
        Path p = pickle("bomb.pickle", Collections.nCopies(100_000, seq));
        assertTrue(Files.size(p) < 300_000);
        assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> refused(p, "1000000000 frames", "more than the " + DatasetLoader.maxFrames(), "-Xmx"));
    }

    @Test
    void anAbsurdlyLongSequenceIsRefused() throws Exception {
        Path p = pickle("long.pickle", List.of(List.of(), Collections.nCopies(DatasetLoader.MAX_SEQUENCE_FRAMES + 1, List.of(60))));
        assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> refused(p, "train sequence 1 has " + (DatasetLoader.MAX_SEQUENCE_FRAMES + 1) + " frames"));
    }

    @Test
    void oneFrameTunesAndEmptySplitsLoad() throws Exception {
        Dataset d = DatasetLoader.load(pickle("tiny.pickle", Map.of("train", List.of(List.of(List.of(60, 64))),
                "valid", List.of(), "test", List.of(List.of()), "comment", "ignored")));
        assertEquals(List.of(PianoRoll.builder(1, 21, 88).set(0, 60).set(0, 64).build()), d.train());
        assertEquals(List.of(), d.valid());
        assertEquals(List.of(PianoRoll.builder(0, 21, 88).build()), d.test());
    }

    @Test
    void picklesOfTheWrongShapeSayWhatWasExpected() throws Exception {
        refused(pickle("empty.pickle", Map.of()), "no 'train' split in the pickle's dict; it is empty");
        refused(write("top.pickle", new Pickler().dumps(List.of(1, 2))), "holds a list, not a dict of the splits 'train', 'valid', 'test'");
        refused(pickle("nosplit.pickle", Map.of("train", List.of(), "test", List.of())), "no 'valid' split", "its keys are 'test', 'train'");
        refused(pickle("split.pickle", "abc"), "the 'train' split is the str 'abc', not a list of sequences");
        refused(pickle("seq.pickle", List.of(5)), "train sequence 0 is the int 5, not a list of frames or a 2-D piano-roll array");
        refused(pickle("frame.pickle", List.of(List.of(List.of(60), 7))), "train sequence 0 frame 1 is the int 7, not a list of MIDI note numbers");
        refused(pickle("name.pickle", List.of(List.of(List.of("C4")))), "train sequence 0 frame 0: note the str 'C4' is not a number");
        refused(pickle("bool.pickle", List.of(List.of(List.of(true)))), "note the bool True is not a number");
        refused(pickle("high.pickle", List.of(List.of(), List.of(List.of(200)))), "train sequence 1 frame 0: 200 is not a MIDI note number");
        refused(pickle("half.pickle", List.of(List.of(List.of(60.5)))), "60.5 is not a MIDI note number");
        refused(pickle("nan.pickle", List.of(List.of(List.of(Double.NaN)))), "NaN is not a MIDI note number");
        // 2^64 + 60: its low 64 bits are 60, which the loader once took
        refused(pickle("big.pickle", List.of(List.of(List.of(BigInteger.ONE.shiftLeft(64).add(BigInteger.valueOf(60)))))),
                "18446744073709551676 is not a MIDI note number");
        refused(pickle("low.pickle", List.of(List.of(List.of(10)))), "note 10 outside 21..108");
        refused(pickle("many.pickle", List.of(List.of(Collections.nCopies(129, 60)))), "frame 0 names 129 notes");
    }

    @Test
    void corruptOrTruncatedPicklesSaySo() throws Exception {
        byte[] good = new Pickler().dumps(Map.of("train", List.of(List.of(List.of(60))), "valid", List.of(), "test", List.of()));
        for (int cut : new int[] {0, 1, 2, good.length / 2, good.length - 1}) {
            refused(write("cut" + cut + ".pickle", Arrays.copyOf(good, cut)), "ends early", "truncated");
        }
        // BINBYTES claiming 2 GB: refused before Pyrolite allocates it
        refused(write("len.pickle", new byte[] {(byte) 0x80, 2, 'B', -1, -1, -1, 0x7f, 1, 2, 3, '.'}),
                "truncated or corrupt", "claims 2147483647 bytes", "4 left");
        refused(write("opcode.pickle", new byte[] {(byte) 0x80, 2, (byte) 0xff, 'N', '.'}), "invalid pickle opcode", "at byte 2");
        refused(write("append.pickle", new byte[] {(byte) 0x80, 2, '}', 'K', 1, 'a', '.'}), "not a readable pickle", "at byte 5");
        refused(write("int.pickle", "I12x\n.".getBytes(StandardCharsets.US_ASCII)), "not a readable pickle", "at byte 0");
    }

    @Test
    void matFilesThatAreTruncatedOrTooBigAreRefused() throws Exception {
        Path good = dir.resolve("good.mat");
        DatasetWriters.write(DatasetTest.small(), good);
        byte[] b = Files.readAllBytes(good);
        refused(write("cut50.mat", Arrays.copyOf(b, 50)), "truncated", "128-byte MATLAB v5 header");
        for (int cut : new int[] {132, b.length / 2, b.length - 1}) refused(write("cut" + cut + ".mat", Arrays.copyOf(b, cut)), "truncated");
        // 64 compressed variables of a few bytes, each declaring 4 GB once inflated
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        bomb.write(matHeader());
        byte[] tag = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(14).putInt(-16).array();
        Deflater z = new Deflater();
        z.setInput(tag);
        z.finish();
        byte[] packed = new byte[64];
        packed = Arrays.copyOf(packed, z.deflate(packed));
        for (int i = 0; i < 64; i++) {
            bomb.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(15).putInt(packed.length).array());
            bomb.write(packed);
        }
        refused(write("bomb.mat", bomb.toByteArray()), "uncompressed", "-Xmx");
    }

    @Test
    void matFilesOfTheWrongLayoutSayWhatWasExpected() throws Exception {
        var mat = Mat5.newMatFile().addArray("traindata", Mat5.newCell(1, 0)).addArray("testdata", Mat5.newMatrix(2, 88));
        Path missing = dir.resolve("missing.mat");
        Mat5.writeToFile(mat, missing.toFile());
        refused(missing, "no 'validdata' variable", "traindata", "testdata");
        mat.addArray("validdata", Mat5.newCell(1, 0));
        Path notCell = dir.resolve("notcell.mat");
        Mat5.writeToFile(mat, notCell.toFile());
        refused(notCell, "'testdata' is a", "not a cell array");
    }

    private static byte[] matHeader() {
        byte[] h = new byte[128];
        Arrays.fill(h, 0, 116, (byte) ' ');
        byte[] text = "MATLAB 5.0 MAT-file, crafted by DatasetLoaderTest".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, h, 0, text.length);
        h[124] = 0;
        h[125] = 1;
        h[126] = 'I';
        h[127] = 'M';
        return h;
    }
}
