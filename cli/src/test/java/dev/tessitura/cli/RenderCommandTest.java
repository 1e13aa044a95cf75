package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.MidiWriter;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.PianoRollImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderCommandTest {
    @TempDir Path dir;

    static DatasetCommandTest.Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        String[] all = new String[args.length + 1];
        all[0] = "render";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new DatasetCommandTest.Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static double wavSeconds(Path wav) throws Exception {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(wav.toFile())) {
            return in.getFrameLength() / (double) in.getFormat().getFrameRate();
        }
    }

    Path pickle() throws Exception {
        Random r = new Random(2);
        Dataset d = new Dataset("tiny", List.of(DatasetCommandTest.roll(r, 8)), List.of(),
                List.of(DatasetCommandTest.roll(r, 6), DatasetCommandTest.roll(r, 100)));
        Path p = dir.resolve("tiny.pickle");
        DatasetWriters.write(d, p);
        return p;
    }

    @Test
    void dataSetSequenceToPngAndWav() throws Exception {
        Path p = pickle(), png = dir.resolve("s.png"), wav = dir.resolve("s.wav");
        var r = run(p.toString(), "--png", png.toString(), "--wav", wav.toString(), "--sequence", "test:1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("wrote " + png) && r.out().contains("wrote " + wav), r.out());
        BufferedImage img = ImageIO.read(png.toFile());
        assertNotNull(img);
        assertEquals(42 + 100 * 4 + 14, img.getWidth(), "100 frames of 4 px");
        assertEquals(100 * 0.25 + 0.12, wavSeconds(wav), 0.003);
        // the default is test:0 (6 frames); --frame-seconds changes the sound's length
        r = run(p.toString(), "--wav", wav.toString(), "--frame-seconds", "0.1");
        assertEquals(0, r.code(), r.err());
        assertEquals(6 * 0.1 + 0.12, wavSeconds(wav), 0.003);
        // bars and the full range change the picture's layout
        r = run(p.toString(), "--png", png.toString(), "--full-range", "--frames-per-bar", "8");
        assertEquals(0, r.code(), r.err());
        img = ImageIO.read(png.toFile());
        assertEquals(26 + 14 + 88 * 5 + 38, img.getHeight());
        assertTrue(r.out().contains("notes A0..C8"), r.out());
    }

    @Test
    void midiFileToPngAndWav() throws Exception {
        PianoRoll.Builder b = PianoRoll.builder(12, 21, 88);
        for (int t = 0; t < 12; t++) b.set(t, 60 + t % 5);
        PianoRoll roll = b.build();
        Path mid = dir.resolve("tune.mid"), png = dir.resolve("tune.png"), wav = dir.resolve("tune.wav");
        // 60 bpm: 12 eighth notes last 6 s; the picture is on the eighth-note grid whatever the tempo
        MidiWriter.write(roll, new MidiWriter.Options(60, 90, 0, 2, false, 1), mid);
        var r = run(mid.toString(), "--png", png.toString(), "--wav", wav.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(6 + 0.12, wavSeconds(wav), 0.003);
        BufferedImage img = ImageIO.read(png.toFile());
        var l = PianoRollImage.layout(roll, null, PianoRollImage.Options.DEFAULT);
        assertEquals(l.width(), img.getWidth());
        assertEquals(l.height(), img.getHeight());
        assertEquals(PianoRollImage.NOTE.getRGB(), img.getRGB(l.x(3) + 1, l.y(63) + 1));
    }

    @Test
    void failuresAreOneLineWithExitCode1() throws Exception {
        Path p = pickle(), png = dir.resolve("x.png");
        Path missing = dir.resolve("nope.mid");
        var r = run(missing.toString(), "--png", png.toString());
        assertEquals(1, r.code());
        assertEquals("tessitura render: no such file: " + missing, r.err().strip());
        r = run(p.toString(), "--png", png.toString(), "--sequence", "test:9");
        assertEquals(1, r.code());
        assertEquals("tessitura render: no sequence test:9 in " + p + ": test has 2 sequences (0..1)", r.err().strip());
        r = run(p.toString(), "--png", png.toString(), "--sequence", "valid:0");
        assertEquals(1, r.code());
        assertTrue(r.err().strip().endsWith("valid has 0 sequences"), r.err());
        Path bad = dir.resolve("bad.mid");
        Files.writeString(bad, "hello");
        r = run(bad.toString(), "--wav", dir.resolve("bad.wav").toString());
        assertEquals(1, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("bad.mid"), r.err());
        r = run(p.toString(), "--png", dir.resolve("no/such/dir/x.png").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no such file"), r.err());
        assertFalse(Files.exists(png));
    }

    @Test
    void usageErrorsExitWith2() throws Exception {
        Path p = pickle();
        Path mid = dir.resolve("t.mid");
        MidiWriter.write(PianoRoll.builder(2, 21, 88).set(0, 60).build(), MidiWriter.Options.DEFAULT, mid);
        String png = dir.resolve("x.png").toString();
        String[][] usage = {
                {}, {p.toString()}, {p.toString(), "--png", png, "--sequence", "test"},
                {p.toString(), "--png", png, "--sequence", "tset:0"}, {p.toString(), "--png", png, "--frame-seconds", "0"},
                {mid.toString(), "--png", png, "--sequence", "test:0"}, {mid.toString(), "--png", png, "--frame-seconds", "0.5"},
                {dir.resolve("x.txt").toString(), "--png", png}, {p.toString(), "--png", png, "--colour", "red"},
                {p.toString(), p.toString(), "--png", png},
        };
        for (String[] u : usage) {
            var x = run(u);
            assertEquals(2, x.code(), String.join(" ", u) + ": " + x.err());
            assertTrue(x.err().contains("see 'tessitura render --help'") && x.err().strip().lines().count() == 1, x.err());
        }
    }
}
