package dev.tessitura.model.reproduce;

import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Report;
import dev.tessitura.model.run.TrainingRun;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One row of a reproduction: its candidates trained and measured on (every N-th sequence of) the validation split,
 * the one of the best validation log-likelihood (accuracy where a model has none; the first of equals) measured on
 * the whole test split, and for RBM-based rows the budget's AIS compared with the paper's protocol on the first test
 * frames. Each trial's result is read from DIR/runs/ROW/NAME.result when an earlier start left it there.
 */
final class RowWork {
    /** Evaluation options that set the AIS budget: the paper's protocol replaces them in the comparison. */
    private static final List<String> AIS_OPTIONS = List.of("--ais", "--ais-runs", "--ais-steps");

    private final Reproduction.Plan p;
    private final Recipes.Row row;
    private final String where;
    private final TrialRunner runner;
    private final Report report;
    private final TrainingRun.Stop stop;
    private final Path dir;

    RowWork(Reproduction.Plan p, Recipes.Row row, String where, TrialRunner runner, Report report, TrainingRun.Stop stop) {
        this.p = p;
        this.row = row;
        this.where = where;
        this.runner = runner;
        this.report = report;
        this.stop = stop;
        this.dir = p.out().resolve("runs").resolve(row.id());
    }

    /** The row's figures; null when a stop came first. */
    Results.RowResult run() throws IOException {
        List<Candidate> candidates = Candidate.of(row, p.budget().name());
        ModelKind<?> kind = Models.byName(row.model());
        List<String> eval = Reproduction.evaluation(row, p.budget(), kind);
        Map<String, Trial.Result> valid = new LinkedHashMap<>();
        if (candidates.size() > 1) {
            List<Trial> trials = new ArrayList<>();
            for (Candidate c : candidates) {
                trials.add(trial(c.name() + "-valid", c, eval, new ModelKind.Selection(p.data(), "valid", p.budget().validEvery(), 0, 0)));
            }
            report.line(String.format(Locale.ROOT, "%s %s: %d candidates on the validation split", where, row.label(), candidates.size()));
            valid = results(trials, candidates);
            if (valid == null) return null;
        }
        Candidate chosen = choose(candidates, valid);
        Map<String, Trial.Result> more = results(List.of(trial("test", chosen, eval, new ModelKind.Selection(p.data(), "test", 1, 0, 0))),
                List.of(chosen));
        if (more == null) return null;
        Trial.Result test = more.get(id("test"));
        Results.Check check = null;
        int frames = p.budget().checkFrames();
        if (frames > 0 && !p.budget().name().equals("paper") && kind.evaluating().settings().option("--ais") != null) {
            List<String> paper = new ArrayList<>();
            for (List<String> o : Candidate.groups(eval)) if (!AIS_OPTIONS.contains(o.get(0))) paper.addAll(o);
            paper.addAll(List.of("--ais", "paper"));
            ModelKind.Selection sample = new ModelKind.Selection(p.data(), "test", 1, 0, frames);
            Map<String, Trial.Result> c = results(List.of(trial("check-budget", chosen, eval, sample), trial("check-paper", chosen, paper, sample)),
                    List.of(chosen, chosen));
            if (c == null) return null;
            check = new Results.Check(c.get(id("check-budget")).scores(), c.get(id("check-paper")).scores(), seconds(c.values()));
        }
        List<Trial.Result> all = new ArrayList<>(valid.values());
        all.addAll(more.values());
        double[] time = seconds(all);
        if (check != null) {
            time[0] += check.seconds()[0];
            time[1] += check.seconds()[1];
        }
        return new Results.RowResult(row, candidates, chosen, valid, test.scores(), check, time);
    }

    private String id(String name) {
        return row.id() + "/" + name;
    }

    private Trial trial(String name, Candidate c, List<String> eval, ModelKind.Selection data) {
        return new Trial(id(name), row.model(), c.options(), c.epochs(), c.last(), dir.resolve(c.name()), eval, data);
    }

    /** The trials' results by id: those already known, the others run; null when a stop came first. */
    private Map<String, Trial.Result> results(List<Trial> trials, List<Candidate> of) throws IOException {
        Map<String, Trial.Result> out = new LinkedHashMap<>();
        List<Trial> todo = new ArrayList<>();
        for (Trial t : trials) {
            Path f = file(t);
            if (Files.exists(f)) out.put(t.id(), Results.readResult(f));
            else todo.add(t);
        }
        IOException[] failed = {null};
        runner.run(todo, report, stop, r -> {
            Trial t = todo.stream().filter(x -> x.id().equals(r.id())).findFirst().orElseThrow();
            try {
                Results.writeResult(file(t), r);
            } catch (IOException e) {
                failed[0] = e;
            }
            out.put(r.id(), r);
            Candidate c = of.get(trials.indexOf(t));
            report.line(String.format(Locale.ROOT, "%s %s%s: %s", where, r.id().substring(row.id().length() + 1),
                    c.label().isEmpty() ? "" : " (" + c.label() + ")", Results.figures(r.scores())));
        });
        if (failed[0] != null) throw failed[0];
        if (out.size() < trials.size()) return null;
        Map<String, Trial.Result> ordered = new LinkedHashMap<>();
        for (Trial t : trials) ordered.put(t.id(), out.get(t.id()));
        return ordered;
    }

    private Path file(Trial t) {
        return dir.resolve(t.id().substring(row.id().length() + 1) + ".result");
    }

    /** The best validation log-likelihood, or accuracy where none has one; the first of equals. */
    static Candidate choose(List<Candidate> candidates, Map<String, Trial.Result> valid) {
        if (candidates.size() == 1) return candidates.get(0);
        List<Trial.Result> r = new ArrayList<>(valid.values());
        boolean ll = r.stream().anyMatch(x -> !Double.isNaN(x.scores().logLikelihood()));
        int best = 0;
        for (int i = 1; i < r.size(); i++) {
            double a = ll ? r.get(i).scores().logLikelihood() : r.get(i).scores().accuracy();
            double b = ll ? r.get(best).scores().logLikelihood() : r.get(best).scores().accuracy();
            if (a > b || (Double.isNaN(b) && !Double.isNaN(a))) best = i;
        }
        return candidates.get(best);
    }

    private static double[] seconds(Iterable<Trial.Result> results) {
        double[] s = new double[2];
        for (Trial.Result r : results) {
            s[0] += r.trainSeconds();
            s[1] += r.evalSeconds();
        }
        return s;
    }
}
