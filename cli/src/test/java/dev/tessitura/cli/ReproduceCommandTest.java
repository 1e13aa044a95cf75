package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.reproduce.Recipes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tessitura reproduce} with the smoke budget on a small data set (what CI runs): every row of the recipes
 * trained, searched and measured into TABLE.md, results.json and table.png; a second start finds everything done;
 * bad input is one line before anything is written.
 */
class ReproduceCommandTest {
    @TempDir static Path dir;
    static Path data;

    /** The small data set of the reproduce tests: 4 / 2 / 2 tunes of 12-33 frames. */
    static Path smokeData(Path dir) throws IOException {
        Random r = new Random(11);
        List<PianoRoll> train = new ArrayList<>(), valid = new ArrayList<>(), test = new ArrayList<>();
        for (int i = 0; i < 4; i++) train.add(DatasetCommandTest.roll(r, 18 + 5 * i));
        for (int i = 0; i < 2; i++) valid.add(DatasetCommandTest.roll(r, 12 + i));
        for (int i = 0; i < 2; i++) test.add(DatasetCommandTest.roll(r, 14 + i));
        Path file = dir.resolve("smoke.pickle");
        DatasetWriters.write(new Dataset("smoke", train, valid, test), file);
        return file;
    }

    @BeforeAll
    static void data() throws IOException {
        data = smokeData(dir);
    }

    /** The arguments of a smoke reproduction of the data into out. */
    static String[] smoke(Path data, Path out) {
        return new String[] {"reproduce", "--data", data.toString(), "--out", out.toString(), "--budget", "smoke", "--backend", "simd"};
    }

    /** The figures of a reproduction: TABLE.md before its timings, results.json without its timings. */
    static String figures(Path out) throws IOException {
        String table = Files.readString(out.resolve("TABLE.md")), json = Files.readString(out.resolve("results.json"));
        return table.substring(0, table.indexOf("## Time")) + json.substring(0, json.indexOf("\"timings\""));
    }

    @Test
    void smokeRunWritesEveryRowAndASecondStartFindsItDone() throws Exception {
        Path out = dir.resolve("smoke");
        MainTest.Result r = MainTest.run(smoke(data, out));
        assertEquals(0, r.code(), r.out() + r.err());
        String table = Files.readString(out.resolve("TABLE.md"));
        for (Recipes.Row row : Recipes.load().rows()) {
            assertTrue(table.contains("| " + row.label() + " |"), row.label() + " in\n" + table);
            assertTrue(r.out().contains("[row ") && r.out().contains(" " + row.id() + "] done"), row.id() + "\n" + r.out());
        }
        assertTrue(table.contains("not one of the paper's data sets"), table);
        assertTrue(table.contains("## AIS: the budget's against the paper's protocol"), table);
        String json = Files.readString(out.resolve("results.json"));
        assertTrue(json.startsWith("{\"recipes_version\":" + Recipes.load().version() + ",\"budget\":\"smoke\""), json);
        assertNotNull(ImageIO.read(out.resolve("table.png").toFile()));
        assertTrue(Files.exists(out.resolve("runs/n-gram/c1/checkpoint.safetensors")) && Files.exists(out.resolve("runs/n-gram/test.result")));
        assertTrue(Files.readString(out.resolve("runs/n-gram/c1/trial.log")).contains("== n-gram/c1-valid"));

        String before = figures(out);
        MainTest.Result again = MainTest.run(smoke(data, out));
        assertEquals(0, again.code(), again.err());
        assertFalse(again.out().contains("-valid ("), "nothing is run again\n" + again.out());
        assertEquals(before, figures(out));
    }

    /** Each mistake: exit code, a word of the one line that says it, and no DIR afterwards. */
    @Test
    void badInputIsOneLineBeforeAnythingIsWritten() throws Exception {
        Random rnd = new Random(4);
        PianoRoll a = DatasetCommandTest.roll(rnd, 10), b = DatasetCommandTest.roll(rnd, 12);
        Path emptySplit = dir.resolve("empty-valid.pickle"), single = dir.resolve("single.pickle"), wide = dir.resolve("wide.pickle");
        DatasetWriters.write(new Dataset("e", List.of(a, b), List.of(), List.of(a)), emptySplit);
        DatasetWriters.write(new Dataset("s", List.of(a), List.of(), List.of()), single);
        DatasetWriters.write(new Dataset("w", List.of(PianoRoll.builder(3, 0, 128).set(1, 10).build()), List.of(a), List.of(a)), wide);
        Object[][] cases = {
                {emptySplit, new String[0], 1, "the valid split is empty"},
                {single, new String[0], 1, "the valid split is empty"},
                {wide, new String[0], 1, "outside 21..108"},
                {data, new String[] {"--rows", "random,gru"}, 2, "unknown row 'gru'"},
                {data, new String[] {"--budget", "huge"}, 2, "unknown budget 'huge'"},
                {dir.resolve("missing.pickle"), new String[0], 1, "no such file"},
        };
        for (Object[] c : cases) {
            Path out = dir.resolve("bad-" + ((Path) c[0]).getFileName() + "-" + ((String[]) c[1]).length);
            List<String> args = new ArrayList<>(List.of(smoke((Path) c[0], out)));
            args.addAll(List.of((String[]) c[1]));
            MainTest.Result r = MainTest.run(args.toArray(String[]::new));
            String what = String.join(" ", args) + "\n" + r.err();
            assertEquals((int) c[2], r.code(), what);
            assertTrue(r.err().contains((String) c[3]), what);
            assertEquals(1, r.err().strip().lines().count(), what);
            assertFalse(Files.exists(out), "nothing written: " + what);
        }
    }

    @Test
    void aDirectoryOfAnotherReproductionOrOtherFilesIsRefused() throws Exception {
        Path out = dir.resolve("other");
        MainTest.Result r = MainTest.run("reproduce", "--data", data.toString(), "--out", out.toString(), "--rows", "random", "--budget", "smoke",
                "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        r = MainTest.run("reproduce", "--data", data.toString(), "--out", out.toString(), "--rows", "random", "--budget", "default",
                "--backend", "scalar");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("holds a reproduction of recipes version") && r.err().contains("budget smoke"), r.err());
        Path files = dir.resolve("files");
        Files.createDirectories(files);
        Files.writeString(files.resolve("notes.txt"), "mine");
        r = MainTest.run(smoke(data, files));
        assertEquals(1, r.code());
        assertTrue(r.err().contains("holds other files"), r.err());
    }
}
