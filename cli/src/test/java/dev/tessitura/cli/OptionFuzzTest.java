package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Settings;
import dev.tessitura.model.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random command lines over every model's options, with values good and bad: each ends in a result (exit 0), a
 * failure (exit 1) or a usage error (exit 2), always with at most one line of error (two for a divergence) and never
 * a stack trace; whatever checkpoint a run leaves holds only finite numbers.
 */
class OptionFuzzTest {
    @TempDir Path dir;

    private static final List<String> INTS = List.of("-3", "0", "1", "2", "3", "x", "2.5", "99999999999", "");
    private static final List<String> REALS = List.of("NaN", "-1", "0", "0.01", "0.5", "1e30", "abc", "Infinity", "1e-40");

    static String value(Settings.Setting<?> s, Random r) {
        return switch (s.type()) {
            case INT, LONG -> INTS.get(r.nextInt(INTS.size()));
            case FLOAT, DOUBLE -> REALS.get(r.nextInt(REALS.size()));
            case INTS -> List.of("4", "3,3", "0", "4,x", "", "5,5,5").get(r.nextInt(6));
            case FLOATS -> List.of("0.01", "0.1,NaN", "0.01,0.01", "x", "").get(r.nextInt(5));
            case WORD -> r.nextInt(4) == 0 ? "nonsense" : s.show(s.words().getEnumConstants()[r.nextInt(s.words().getEnumConstants().length)]);
            case FLAG -> null;
        };
    }

    @Test
    void randomTrainingCommandLinesEndCleanly() throws Exception {
        Random r = new Random(20261205);
        List<PianoRoll> train = new ArrayList<>();
        for (int i = 0; i < 3; i++) train.add(DatasetCommandTest.roll(r, 14 + 3 * i));
        Path data = dir.resolve("tiny.pickle");
        DatasetWriters.write(new Dataset("tiny", train, train.subList(0, 1), train.subList(0, 1)), data);
        int[] codes = new int[3];
        List<ModelKind<?>> kinds = Models.ALL.stream().filter(k -> !k.name().equals("melody-lstm")).toList();
        for (int i = 0; i < 300; i++) {
            ModelKind<?> k = kinds.get(r.nextInt(kinds.size()));
            Path out = dir.resolve("run" + i);
            // small sizes first, so that a run is short; then a few random settings (a later one wins)
            List<String> args = new ArrayList<>(List.of("train", k.name(), "--data", data.toString(), "--out", out.toString(),
                    "--epochs", "1", "--backend", "scalar"));
            for (Settings.Setting<?> s : k.settings().all()) {
                if (s.options().contains("--hidden") || s.options().contains("--recurrent")) args.addAll(List.of(s.name(), "4"));
                if (s.name().endsWith("layers")) args.addAll(List.of(s.name(), "4"));
            }
            List<Settings.Setting<?>> options = new ArrayList<>();
            for (Settings.Setting<?> s : k.settings().all()) if (!s.options().isEmpty()) options.add(s);
            for (int j = 0, n = options.isEmpty() ? 0 : 1 + r.nextInt(4); j < n; j++) {   // repeat has no options
                Settings.Setting<?> s = options.get(r.nextInt(options.size()));
                String v = value(s, r);
                args.add(s.name());
                if (v != null) args.add(v);
            }
            if (r.nextInt(10) == 0) args.add("--no-such-option");
            MainTest.Result res = MainTest.run(args.toArray(String[]::new));
            String cmd = String.join(" ", args);
            assertTrue(res.code() >= 0 && res.code() <= 2, cmd + " -> " + res.code() + "\n" + res.err());
            codes[res.code()]++;
            assertFalse(res.err().contains("internal error") || res.err().contains("\tat "), cmd + "\n" + res.err());
            if (res.code() != 0) {
                long lines = res.err().strip().lines().filter(l -> l.startsWith("tessitura")).count();
                assertTrue(lines >= 1 && lines <= 2, cmd + "\n" + res.err());
            }
            Path ckpt = out.resolve("checkpoint.safetensors");
            if (Files.exists(ckpt)) {
                for (SafeTensors.F32 t : SafeTensors.read(ckpt).tensors().values()) {
                    for (float x : t.data()) assertTrue(Float.isFinite(x), cmd + ": a checkpoint with " + x);
                }
            }
        }
        // the fuzzing reached all three outcomes
        for (int c = 0; c < 3; c++) assertTrue(codes[c] > 0, "exit " + c + " never happened: " + java.util.Arrays.toString(codes));
        assertEquals(300, codes[0] + codes[1] + codes[2]);
    }
}
