package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.Keys;
import dev.tessitura.midi.MidiWriter;
import dev.tessitura.midi.PianoRoll;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetCommandTest {
    @TempDir Path dir;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "dataset";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A roll of {@code frames} frames in D major-ish material, with a seeded pattern. */
    static PianoRoll roll(Random r, int frames) {
        PianoRoll.Builder b = PianoRoll.builder(frames, 21, 88);
        int[] scale = {62, 64, 66, 67, 69, 71, 73, 74};
        for (int t = 0; t < frames; t++) {
            b.set(t, scale[r.nextInt(scale.length)]);
            if (t % 4 == 0) b.set(t, 50).set(t, 57);
            if (r.nextInt(10) == 0) b.set(t, 22).set(t, 105);
        }
        return b.build();
    }

    static Dataset small() {
        Random r = new Random(3);
        return new Dataset("small", List.of(roll(r, 10), roll(r, 7), roll(r, 12)), List.of(roll(r, 5)), List.of(roll(r, 9), roll(r, 4)));
    }

    static void assertSameData(Dataset a, Dataset b) {
        for (String s : Dataset.SPLITS) assertEquals(a.split(s), b.split(s), s);
    }

    @Test
    void statsPrintsOneLinePerSplit() throws Exception {
        Path p = dir.resolve("small.pickle");
        DatasetWriters.write(small(), p);
        Result r = run("stats", p.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().matches("(?s).*\\ntrain\\s+3\\s+29\\s.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\nvalid\\s+1\\s+5\\s.*"), r.out());
        assertTrue(r.out().matches("(?s).*\\ntest\\s+2\\s+13\\s.*"), r.out());
    }

    @Test
    void pickleToMatAndBack() throws Exception {
        Dataset d = small();
        Path p = dir.resolve("small.pickle"), mat = dir.resolve("small.mat"), back = dir.resolve("back.pkl");
        DatasetWriters.write(d, p);
        Result r = run("convert", p.toString(), mat.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("wrote " + mat), r.out());
        assertSameData(d, DatasetLoader.load(mat));
        assertEquals(0, run("convert", mat.toString(), back.toString()).code());
        assertSameData(d, DatasetLoader.load(back));
    }

    @Test
    void fileInputOptions() throws Exception {
        Dataset d = small();
        Path p = dir.resolve("small.pickle"), c = dir.resolve("c.pickle"), cut = dir.resolve("cut.mat");
        DatasetWriters.write(d, p);
        assertEquals(0, run("convert", p.toString(), c.toString(), "--transpose-to-c").code());
        Dataset t = DatasetLoader.load(c);
        assertEquals(Keys.toC(d.train().get(1)).roll(), t.train().get(1));
        assertNotEquals(d.train().get(1), t.train().get(1), "D material moves to C");
        // --low/--high drop the outer notes 22 and 105
        Result r = run("convert", p.toString(), cut.toString(), "--low", "24", "--high", "104");
        assertEquals(0, r.code(), r.err());
        Dataset k = DatasetLoader.load(cut);
        long dropped = 0;
        for (String s : Dataset.SPLITS) {
            for (int i = 0; i < d.split(s).size(); i++) {
                PianoRoll a = d.split(s).get(i), b = k.split(s).get(i);
                for (int f = 0; f < a.frames(); f++) {
                    for (int n = 21; n <= 108; n++) {
                        assertEquals(a.isOn(f, n) && n >= 24 && n <= 104, b.isOn(f, n));
                        if (a.isOn(f, n) && (n < 24 || n > 104)) dropped++;
                    }
                }
            }
        }
        assertTrue(dropped > 0);
        assertTrue(r.out().contains("dropped " + dropped + " note cells outside 24..104"), r.out());
    }

    /** Writes rolls as MIDI files at 120 bpm, 2 frames per quarter. */
    static List<PianoRoll> writeMidi(Path folder, int count, Random r) throws Exception {
        Files.createDirectories(folder);
        List<PianoRoll> rolls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            PianoRoll roll = roll(r, 6 + i);
            MidiWriter.write(roll, MidiWriter.Options.DEFAULT, folder.resolve(String.format("piece%02d.mid", i)));
            rolls.add(roll);
        }
        return rolls;
    }

    @Test
    void midiFolderWithSplitsToPickleListsSkippedFiles() throws Exception {
        Random r = new Random(5);
        Path midi = dir.resolve("midi");
        List<PianoRoll> train = writeMidi(midi.resolve("train"), 3, r), valid = writeMidi(midi.resolve("valid"), 1, r),
                test = writeMidi(midi.resolve("test"), 2, r);
        Files.write(midi.resolve("test").resolve("zz-broken.mid"), new byte[] {'M', 'T', 'h', 'd', 0, 0});
        Path out = dir.resolve("midi.pickle");
        Result res = run("convert", midi.toString(), out.toString(), "--no-transpose");
        assertEquals(0, res.code(), res.err());
        assertTrue(res.err().contains("1 MIDI files skipped"), res.err());
        assertTrue(res.err().contains("zz-broken.mid"), res.err());
        Dataset d = DatasetLoader.load(out);
        assertEquals(train, d.train());
        assertEquals(valid, d.valid());
        assertEquals(test, d.test());
        // by default pieces are transposed to C
        assertEquals(0, run("convert", midi.toString(), out.toString()).code());
        assertEquals(Keys.toC(train.get(0)).roll(), DatasetLoader.load(out).train().get(0));
        // --skip-frames 1: every tune without its first frame (the Nottingham pickle's convention)
        assertEquals(0, run("convert", midi.toString(), out.toString(), "--no-transpose", "--skip-frames", "1").code());
        PianoRoll first = train.get(0), skipped = DatasetLoader.load(out).train().get(0);
        assertEquals(first.frames() - 1, skipped.frames());
        for (int t = 1; t < first.frames(); t++) assertArrayEquals(first.notesAt(t), skipped.notesAt(t - 1));
        // stats reads the folder too
        Result st = run("stats", midi.toString());
        assertEquals(0, st.code());
        assertTrue(st.out().matches("(?s).*\\ntrain\\s+3\\s+21\\s.*"), st.out());
        assertTrue(st.err().contains("zz-broken.mid"), st.err());
    }

    @Test
    void secondsGridMatchesTheBeatGridAt120Bpm() throws Exception {
        // 20 files in one folder: the seeded 80/10/10 shuffle decides the splits; at 120 bpm an eighth note is 0.25 s
        Path flat = dir.resolve("flat");
        writeMidi(flat, 20, new Random(9));
        Path beats = dir.resolve("beats.pickle"), secs = dir.resolve("secs.pickle"), fine = dir.resolve("fine.pickle");
        assertEquals(0, run("convert", flat.toString(), beats.toString(), "--frames-per-quarter", "2", "--split-seed", "7").code());
        assertEquals(0, run("convert", flat.toString(), secs.toString(), "--seconds", "0.25", "--split-seed", "7").code());
        Dataset b = DatasetLoader.load(beats), s = DatasetLoader.load(secs);
        assertEquals(List.of(16, 2, 2), List.of(b.train().size(), b.valid().size(), b.test().size()));
        assertSameData(b, s);
        // another seed gives another split
        Path other = dir.resolve("other.pickle");
        assertEquals(0, run("convert", flat.toString(), other.toString(), "--seconds", "0.25", "--split-seed", "8").code());
        assertNotEquals(b.test(), DatasetLoader.load(other).test());
        // half the period: twice the frames
        assertEquals(0, run("convert", flat.toString(), fine.toString(), "--seconds", "0.125", "--split-seed", "7", "--no-transpose").code());
        Dataset f = DatasetLoader.load(fine);
        assertEquals(2 * b.test().get(0).frames(), f.test().get(0).frames());
    }

    @Test
    void errorsAndUsage() throws Exception {
        Path p = dir.resolve("small.pickle");
        DatasetWriters.write(small(), p);
        Path missing = dir.resolve("missing.pickle");
        Result r = run("stats", missing.toString());
        assertEquals(1, r.code());
        assertEquals("tessitura dataset stats: no such file: " + missing, r.err().strip());
        Path junk = dir.resolve("junk.pickle");
        Files.writeString(junk, "not a pickle");
        r = run("stats", junk.toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("junk.pickle"), r.err());

        String out = dir.resolve("o.pickle").toString();
        String[][] usage = {
                {}, {"frobnicate"}, {"stats"}, {"stats", p.toString(), "extra"}, {"convert", p.toString()},
                {"convert", p.toString(), dir.resolve("o.txt").toString()},
                {"convert", p.toString(), out, "--transpose-to-c", "--no-transpose"},
                {"convert", p.toString(), out, "--seconds", "0.25"}, // MIDI folder only
                {"convert", dir.toString(), out, "--seconds", "0.25", "--frames-per-quarter", "2"},
                {"convert", dir.toString(), out, "--seconds", "-1"},
                {"convert", p.toString(), out, "--low", "60", "--high", "50"},
                {"convert", p.toString(), out, "--low", "10"},
                {"convert", p.toString(), out, "--split-seed", "x"},
                {"convert", p.toString(), out, "--bogus"},
        };
        for (String[] u : usage) {
            Result x = run(u);
            assertEquals(2, x.code(), String.join(" ", u) + ": " + x.err());
            assertTrue(x.err().contains("see 'tessitura dataset") && x.err().strip().lines().count() == 1, x.err());
        }
        assertFalse(Files.exists(Path.of(out)), "nothing written on a usage error");
    }
}
