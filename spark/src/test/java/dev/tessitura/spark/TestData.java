package dev.tessitura.spark;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/** A tiny seeded data set (88 notes, chords and a scale, like Nottingham's frames) and running commands in-process. */
final class TestData {
    private TestData() {}

    static PianoRoll roll(Random r, int frames) {
        PianoRoll.Builder b = PianoRoll.builder(frames, 21, 88);
        int[] scale = {62, 64, 66, 67, 69, 71, 73, 74};
        for (int t = 0; t < frames; t++) {
            b.set(t, scale[r.nextInt(scale.length)]);
            if (t % 4 == 0) b.set(t, 50).set(t, 57);
            if (r.nextInt(10) == 0) b.set(t, 45);
        }
        return b.build();
    }

    /** train, valid and test tunes of 12-40 frames: {@code tunes} in each of valid and test. */
    static Path write(Path dir, int train, int tunes) {
        Random r = new Random(5);
        List<PianoRoll> tr = new ArrayList<>(), va = new ArrayList<>(), te = new ArrayList<>();
        for (int i = 0; i < train; i++) tr.add(roll(r, 20 + 5 * (i % 5)));
        for (int i = 0; i < tunes; i++) va.add(roll(r, 12 + 7 * (i % 4)));
        for (int i = 0; i < tunes; i++) te.add(roll(r, 14 + 9 * (i % 3)));
        Path p = dir.resolve("tiny.pickle");
        try {
            DatasetWriters.write(new Dataset("tiny", tr, va, te), p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return p;
    }

    /** What a command printed, and its exit code. */
    record Result(int code, String out, String err) {}

    static Result run(BiFunction<PrintStream, PrintStream, Integer> main) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8); PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = main.apply(o, e);
        }
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** tessitura sweep / evaluate --master, in this JVM. */
    static Result spark(String... args) {
        return run((o, e) -> SparkMain.run(args, o, e));
    }

    /** The CLI (train, evaluate), in this JVM with -Dtessitura.threads=threads as the launcher would pass it. */
    static Result cli(int threads, String... args) {
        String was = System.getProperty("tessitura.threads");
        System.setProperty("tessitura.threads", Integer.toString(threads));
        try {
            return run((o, e) -> dev.tessitura.cli.Main.run(args, o, e));
        } finally {
            if (was == null) System.clearProperty("tessitura.threads");
            else System.setProperty("tessitura.threads", was);
        }
    }
}
