package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetTest {
    @TempDir Path dir;

    static Dataset small() {
        Random r = new Random(3);
        return new Dataset("small", List.of(RoundTripTest.random(r, 5, 0.05), RoundTripTest.random(r, 0, 0.1)),
                List.of(RoundTripTest.random(r, 9, 0.05)), List.of(RoundTripTest.random(r, 1, 0.3)));
    }

    @Test
    void pickleAndMatRoundTrip() throws Exception {
        Dataset d = small();
        for (String f : new String[] {"d.pickle", "d.mat"}) {
            Path p = dir.resolve(f);
            DatasetWriters.write(d, p);
            Dataset back = DatasetLoader.load(p);
            for (String s : Dataset.SPLITS) assertEquals(d.split(s), back.split(s), f + " " + s);
        }
    }

    @Test
    void readsProtocolZeroTuplesAndFloats() throws Exception {
        // pickle.dumps({'train': [((60.0, 64), ())], 'valid': [], 'test': []}, protocol=0)
        String p0 = "(dp0\nVtrain\np1\n(lp2\n((F60.0\nI64\ntp3\n(ttp4\nasVvalid\np5\n(lp6\nsVtest\np7\n(lp8\ns.";
        Path p = dir.resolve("p0.pkl");
        Files.writeString(p, p0);
        Dataset d = DatasetLoader.load(p);
        assertEquals(List.of(PianoRoll.builder(2, 21, 88).set(0, 60).set(0, 64).build()), d.train());
        assertTrue(d.valid().isEmpty() && d.test().isEmpty());
    }

    @Test
    void statsCountFramesAndNotes() {
        PianoRoll a = PianoRoll.builder(3, 21, 88).set(0, 40).set(0, 50).set(2, 70).build();
        DatasetStats s = DatasetStats.of(new Dataset("x", List.of(a), List.of(), List.of()));
        DatasetStats.Split t = s.splits().get(0);
        // repeating the previous frame: t = 0 misses 40, 50 (FN 2), t = 1 keeps them (FP 2), t = 2 misses 70 (FN 1)
        assertEquals(new DatasetStats.Split("train", 1, 3, 3, 40, 70, 0.0), t);
        assertEquals(1.0, t.meanNotesPerFrame());
        assertTrue(s.toString().contains("train"));
        // held notes: {40 50} {40 50} {40 52}: FN 2; TP 2; TP 1 (40), FP 1 (50), FN 1 (52): 3 / 7; no notes: NaN
        PianoRoll held = PianoRoll.builder(3, 21, 88).set(0, 40).set(0, 50).set(1, 40).set(1, 50).set(2, 40).set(2, 52).build();
        PianoRoll silent = PianoRoll.builder(4, 21, 88).build();
        DatasetStats h = DatasetStats.of(new Dataset("h", List.of(held, silent), List.of(silent), List.of()));
        assertEquals(3.0 / 7, h.splits().get(0).repeatAccuracy(), 1e-15);
        assertTrue(Double.isNaN(h.splits().get(1).repeatAccuracy()) && Double.isNaN(h.splits().get(2).repeatAccuracy()));
        assertTrue(h.toString().contains("42.86%"), h.toString());
    }

    @Test
    void midiFolderSkipsBadFilesWithReasons() throws Exception {
        for (String s : Dataset.SPLITS) Files.createDirectories(dir.resolve(s));
        PianoRoll c = KeysTest.scale(60, 62, 64, 65, 67, 69, 71, 72);
        MidiWriter.write(c, MidiWriter.Options.DEFAULT, dir.resolve("train/a.mid"));
        Files.writeString(dir.resolve("train/b.mid"), "not midi");
        MidiWriter.write(c, MidiWriter.Options.DEFAULT, dir.resolve("test/c.mid"));
        MidiFolder.Result r = MidiFolder.load(dir, MidiFolder.Options.DEFAULT);
        assertEquals(List.of(c), r.dataset().train());
        assertEquals(List.of(c), r.dataset().test());
        assertEquals(1, r.skipped().size());
        assertTrue(r.skippedSummary().contains("b.mid") && r.skippedSummary().contains("MThd"), r.skippedSummary());
        assertThrows(MidiFormatException.class, () -> MidiFolder.readRoll(dir.resolve("train/b.mid"), MidiFolder.Options.DEFAULT));
    }
}
