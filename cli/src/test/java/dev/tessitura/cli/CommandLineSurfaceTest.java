package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParseResult;

/**
 * The command line as a user meets it: generated help that lists every option of every model with its default, every
 * documented option parsing, mistakes reported in one line with exit code 2, and the commands of the README and
 * REPRODUCTION.md parsing as written.
 */
class CommandLineSurfaceTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

    static MainTest.Result run(String... args) {
        return MainTest.run(args);
    }

    /** Parses (without running) as `tessitura args` would; the train command's settings are applied too. */
    static ParseResult parse(String... args) {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        PrintStream p = new PrintStream(sink, true, StandardCharsets.UTF_8);
        CommandLine cl = Main.commandLine(new Main.Io(p, p));
        ParseResult pr = cl.parseArgs(Main.compatible(args));
        while (pr.hasSubcommand()) pr = pr.subcommand();
        if (pr.commandSpec().parent() != null && pr.commandSpec().parent().name().equals("train")) {
            SettingOptions.apply(pr, Models.byName(pr.commandSpec().name()).settings());
        }
        return pr;
    }

    @Test
    void helpIsGeneratedForEveryCommandAndListsEveryModelOptionWithItsDefault() {
        for (String[] cmd : new String[][] {{"--help"}, {"train", "--help"}, {"generate", "--help"}, {"evaluate", "--help"},
                {"dataset", "--help"}, {"dataset", "convert", "--help"}, {"render", "--help"}, {"demo", "--help"}, {"info", "--help"}}) {
            MainTest.Result r = run(cmd);
            assertEquals(0, r.code(), String.join(" ", cmd) + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: tessitura"), r.out());
        }
        MainTest.Result top = run("--help");
        for (String c : List.of("train", "generate", "evaluate", "dataset", "render", "demo", "info", "generate-completion")) {
            assertTrue(top.out().contains("  " + c + " "), c + " in\n" + top.out());
        }
        MainTest.Result train = run("train", "--help");
        for (ModelKind<?> k : Models.ALL) {
            assertTrue(train.out().contains(k.name()), k.name());
            MainTest.Result r = run("train", k.name(), "--help");
            assertEquals(0, r.code(), r.err());
            for (Settings.Setting<?> s : k.settings().all()) {
                if (s.options().isEmpty()) continue;
                String unwrapped = r.out().replaceAll("\\s+", " ");
                assertTrue(unwrapped.contains(s.name()), k.name() + ": " + s.name());
                if (s.type() != Settings.Type.FLAG) {
                    Object dflt = ((Settings.Setting<Object>) s).get().apply(k.settings().defaults());
                    String shown = "(default: " + ((Settings.Setting<Object>) s).show(dflt) + ")";
                    assertTrue(unwrapped.contains(shown), k.name() + " " + s.name() + " " + shown);
                }
            }
        }
        MainTest.Result gen = run("generate", "--help");
        assertTrue(gen.out().replaceAll("\\s+", " ").contains("[rnn-rbm, lstm-rbm, rtrbm]"), gen.out());
    }

    @Test
    void everyModelOptionParsesWithItsDefaultAndRefusesABadValueInOneLine() {
        for (ModelKind<?> k : Models.ALL) {
            for (Settings.Setting<?> s : k.settings().all()) {
                if (s.options().isEmpty()) continue;
                List<String> args = new ArrayList<>(List.of("train", k.name(), "--data", "d.pickle", "--out", "run"));
                args.add(s.name());
                Object dflt = ((Settings.Setting<Object>) s).get().apply(k.settings().defaults());
                if (s.type() != Settings.Type.FLAG) args.add(((Settings.Setting<Object>) s).show(dflt));
                // a flag's default is off: on is what it documents (lstm-rbm refuses none of its own)
                assertDoesNotThrow(() -> parse(args.toArray(String[]::new)), String.join(" ", args));
                if (s.type() == Settings.Type.FLAG) continue;
                for (String bad : badValues(s.type())) {
                    args.set(args.size() - 1, bad);
                    MainTest.Result r = run(args.toArray(String[]::new));
                    assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
                    assertEquals(1, r.err().strip().lines().count(), r.err());
                    assertTrue(r.err().contains(s.name()), r.err());
                }
            }
        }
    }

    private static List<String> badValues(Settings.Type t) {
        return switch (t) {
            case INT, LONG -> List.of("abc", "1.5", "99999999999999999999");
            case FLOAT, DOUBLE -> List.of("abc", "NaN", "Infinity", "-Infinity", "nan", "1e400");
            case INTS -> List.of("120,abc", "", "1,,2");
            case FLOATS -> List.of("0.1,abc", "NaN", "0.1,Infinity");
            case WORD -> List.of("nonsense", "");
            case FLAG -> List.of();
        };
    }

    @Test
    void mistakesAreOneLineWithExitCode2() {
        String[][] cases = {
                {"frobnicate"}, {"train"}, {"train", "gru"}, {"train", "rnn-rbm"}, {"train", "rnn-rbm", "--data", "x", "--out", "y", "--hiden", "3"},
                {"train", "rnn-rbm", "--data", "x", "--out", "y", "--epochs", "many"}, {"train", "lstm", "--data", "x", "--out", "y", "--lr", "0.1,0.2"},
                {"train", "rnn-rbm", "--data", "x", "--out", "y", "--pretrain", "2", "--pretrain-rnn", "2"},
                {"train", "rnn-rbm", "--data", "x", "--out", "y", "--optimizer", "adamw"},
                {"generate"}, {"generate", "--checkpoint", "c", "--out", "x.txt"}, {"evaluate", "--checkpoint", "c"},
                {"evaluate", "--checkpoint", "c", "--data", "d", "--split", "dev"}, {"dataset"}, {"dataset", "stats"}, {"render"},
                {"demo", "--epochs", "x"}, {"info", "--verbose"},
        };
        for (String[] c : cases) {
            MainTest.Result r = run(c);
            assertEquals(2, r.code(), String.join(" ", c) + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().startsWith("tessitura"), r.err());
        }
        MainTest.Result typo = run("train", "rnn-rbm", "--data", "x", "--out", "y", "--hiden", "3");
        assertTrue(typo.err().contains("unknown option '--hiden'") && typo.err().contains("--hidden"), typo.err());
    }

    @Test
    void theOldTrainSpellingStillRuns() {
        ParseResult pr = parse("train", "--model", "lstm", "--data", "d", "--out", "o", "--layers", "150");
        assertEquals("lstm", pr.commandSpec().name());
        assertEquals("lstm", parse("train", "--data", "d", "--model=lstm", "--out", "o").commandSpec().name());
    }

    @Test
    void theReadmesCommandsParse() throws IOException {
        List<String> commands = new ArrayList<>();
        for (String doc : List.of("README.md", "REPRODUCTION.md")) commands.addAll(commands(Files.readString(ROOT.resolve(doc))));
        assertTrue(commands.size() >= 15, "found only " + commands.size() + " commands");
        for (String c : commands) {
            String[] words = c.replace("$D", "data.pickle").trim().split("\\s+");
            String[] args = java.util.Arrays.copyOfRange(words, 1, words.length);
            if (args.length == 0) continue;
            ParseResult pr = assertDoesNotThrow(() -> parse(args), c);
            // generate and evaluate: each model option given must be one some model reads, with a value it takes
            if (List.of("generate", "evaluate").contains(pr.commandSpec().name())) {
                Function<ModelKind<?>, Settings<?>> verb = pr.commandSpec().name().equals("generate")
                        ? k -> k.sampling().settings() : k -> k.evaluating().settings();
                for (CommandLine.Model.OptionSpec o : pr.matchedOptions()) {
                    boolean ok = pr.commandSpec().findOption(o.longestName()) != null;
                    for (ModelKind<?> k : Models.ALL) {
                        for (Settings.Setting<?> s : verb.apply(k).all()) {
                            if (s.options().contains(o.longestName()) && s.type() != Settings.Type.FLAG) {
                                assertDoesNotThrow(() -> s.parse(o.getValue().toString()), c);
                            }
                        }
                    }
                    assertTrue(ok, c);
                }
            }
        }
    }

    /** The ./tessitura command lines of a markdown text, continuation lines joined. */
    static List<String> commands(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\./tessitura ((?:[^\\n]*\\\\\\n)*[^\\n]*)").matcher(text);
        while (m.find()) {
            String c = ("./tessitura " + m.group(1)).replace("\\\n", " ");
            int hash = c.indexOf(" #");
            out.add(hash > 0 ? c.substring(0, hash) : c);
        }
        // the commands quoted inline in prose: `./tessitura ...`
        Matcher q = Pattern.compile("`(\\./tessitura [^`]+)`").matcher(text);
        while (q.find()) out.add(q.group(1));
        assertFalse(out.isEmpty());
        return out;
    }
}
