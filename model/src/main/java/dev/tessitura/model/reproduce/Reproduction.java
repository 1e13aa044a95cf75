package dev.tessitura.model.reproduce;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Report;
import dev.tessitura.model.run.RunDirectory;
import dev.tessitura.model.run.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * {@code tessitura reproduce}: every asked row of the paper's Table 1 trained by its recipe ({@link Recipes}), its
 * candidates compared on the validation split, the best one measured on test, into DIR/TABLE.md, DIR/results.json and
 * DIR/table.png, one run directory per candidate under DIR/runs/ROW/. Every trial's result is kept as it is known, and
 * every trial's training resumes exactly, so a reproduction stopped anywhere (kill -9 included) and started again
 * finishes with the same figures as one never stopped.
 */
public final class Reproduction {
    /** DIR's record of what it reproduces: a restart must be the same reproduction. */
    static final String STATE = "reproduce.properties";

    /** Everything a reproduction needs, checked before anything is written. */
    public record Plan(Recipes recipes, Recipes.Budget budget, List<Recipes.Row> rows, Path data, String sha256,
                       Recipes.PaperData paper, Dataset dataset, Path out) {}

    /** How a reproduction ended. */
    public enum Outcome { FINISHED, INTERRUPTED }

    private Reproduction() {}

    /**
     * Checks the asked rows (all when empty), the budget, the data and DIR, and reads the data; a mistake is an
     * IllegalArgumentException (or the loader's IOException) of one line, before anything is written.
     */
    public static Plan plan(Recipes recipes, Path data, Path out, List<String> rowIds, String budget) throws IOException {
        Recipes.Budget b = recipes.budgets().get(budget);
        if (b == null) throw new IllegalArgumentException("unknown budget '" + budget + "' (" + String.join(", ", Recipes.BUDGETS) + ")");
        List<Recipes.Row> rows = rowIds.isEmpty() ? recipes.rows() : rowIds.stream().distinct().map(recipes::row).toList();
        for (Recipes.Row r : rows) {
            if (Models.find(r.model()).isEmpty()) throw new IllegalArgumentException("row " + r.id() + ": this build has no model " + r.model());
            for (Candidate c : Candidate.of(r, budget)) c.check(r, evaluation(r, b, Models.byName(r.model())));
        }
        if (!Files.exists(data)) throw new NoSuchFileException(data.toString());
        Dataset d = DatasetLoader.load(data);
        checkData(data, d);
        String sha = RunDirectory.sha256(data);
        checkOut(out, recipes, sha, budget);
        return new Plan(recipes, b, rows, data, sha, recipes.recognise(sha), d, out);
    }

    /** Every split must have frames, and every frame the 88 notes A0..C8 of the paper's table. */
    static void checkData(Path data, Dataset d) {
        for (String split : Dataset.SPLITS) {
            List<PianoRoll> rolls = d.split(split);
            if (rolls.stream().mapToLong(PianoRoll::frames).sum() == 0) {
                throw new IllegalArgumentException(data + ": the " + split + " split is empty (" + rolls.size() + " sequences, no frames); "
                        + "reproduce needs train, valid and test splits with frames");
            }
            for (PianoRoll r : rolls) {
                if (r.lowestNote() != PianoRoll.DEFAULT_LOWEST || r.noteCount() != PianoRoll.DEFAULT_COUNT) {
                    throw new IllegalArgumentException(data + ": frames of notes " + r.lowestNote() + ".." + r.highestNote()
                            + "; the table is over the 88 notes 21..108 (A0..C8)");
                }
            }
        }
    }

    /** DIR must be new, empty, or a reproduction of the same data and budget by the same recipes. */
    private static void checkOut(Path out, Recipes recipes, String sha, String budget) throws IOException {
        if (!Files.exists(out)) return;
        if (!Files.isDirectory(out)) throw new IllegalArgumentException(out + " is a file; --out names a directory");
        Path state = out.resolve(STATE);
        if (!Files.exists(state)) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.anyMatch(p -> !p.getFileName().toString().equals(".lock"))) {
                    throw new IllegalArgumentException(out + " holds other files: choose a new or empty --out");
                }
            }
            return;
        }
        Properties p = Results.readProperties(state);
        String was = "recipes version " + p.getProperty("recipes_version") + ", budget " + p.getProperty("budget") + ", data "
                + p.getProperty("data_sha256", "?").substring(0, 12) + "...";
        String now = "recipes version " + recipes.version() + ", budget " + budget + ", data " + sha.substring(0, 12) + "...";
        if (!was.equals(now)) {
            throw new IllegalArgumentException(out + " holds a reproduction of " + was + "; this one is " + now + ": choose another --out");
        }
    }

    /** Runs the plan's rows in order; each row's figures are written as soon as it is done. */
    public static Outcome run(Plan p, TrialRunner runner, Report report, TrainingRun.Stop stop) throws IOException {
        try (RunDirectory lock = RunDirectory.lock(p.out())) {
            Path state = p.out().resolve(STATE);
            if (!Files.exists(state)) {
                Results.writeProperties(state, Map.of("recipes_version", Integer.toString(p.recipes().version()),
                        "budget", p.budget().name(), "data_sha256", p.sha256(), "data", p.data().toAbsolutePath().normalize().toString()));
            }
            report.line(String.format(Locale.ROOT, "reproducing %d rows of Table 1 on %s (%s), budget %s, recipes version %d",
                    p.rows().size(), p.data(), p.paper() == null ? "not one of the paper's data sets" : "the paper's " + p.paper().name(),
                    p.budget().name(), p.recipes().version()));
            List<Results.RowResult> done = new ArrayList<>();
            for (int i = 0; i < p.rows().size(); i++) {
                Recipes.Row row = p.rows().get(i);
                String where = String.format(Locale.ROOT, "[row %d/%d %s]", i + 1, p.rows().size(), row.id());
                Results.RowResult r = new RowWork(p, row, where, runner, report, stop).run();
                if (r == null) {
                    report.line(where + " stopped; run the same command again to continue where it stopped");
                    return Outcome.INTERRUPTED;
                }
                done.add(r);
                Results.write(p, done);
                report.line(where + " done: " + r.summary());
            }
            report.line("wrote " + p.out().resolve(Results.TABLE) + ", " + p.out().resolve(Results.JSON) + ", " + p.out().resolve(Results.PNG));
            return Outcome.FINISHED;
        }
    }

    /** A row's evaluation options under a budget: the budget's that its model takes, then the row's own. */
    static List<String> evaluation(Recipes.Row row, Recipes.Budget b, ModelKind<?> kind) {
        List<String> out = new ArrayList<>();
        for (List<String> option : Candidate.groups(b.eval())) {
            if (kind.evaluating().settings().option(option.get(0)) != null) out.addAll(option);
        }
        out.addAll(row.eval());
        return out;
    }
}
