package dev.tessitura.cli;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ExactFrames;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.Mixture;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * {@code tessitura evaluate --checkpoint A --checkpoint B ...}: the mixture of exact models ({@link Mixture}), its
 * weights fitted on the validation split unless given.
 */
final class MixtureCommand {
    private MixtureCommand() {}

    /** The mixture of the checkpoints {@code read} from {@code files} (which name them in the report) on the selection. */
    static void evaluate(ParseResult pr, Io io, List<Path> files, List<SafeTensors.Contents> read, ModelKind.Selection s) throws IOException {
        int samples;
        long seed;
        try {      // the NADE family's --samples and --seed (declared as text by the models' settings)
            samples = Integer.parseInt(pr.matchedOptionValue("--samples", Integer.toString(ExpectedAccuracy.SAMPLES)));
            seed = Long.parseLong(pr.matchedOptionValue("--seed", "1"));
        } catch (NumberFormatException e) {
            throw new ParameterException(pr.commandSpec().commandLine(), "--samples and --seed take integers: " + e.getMessage());
        }
        if (samples < 0) throw new ParameterException(pr.commandSpec().commandLine(), "--samples must be >= 0, got " + samples);
        String weightsGiven = pr.matchedOptionValue("--weights", "fit");
        Report report = new CliReport(io.out(), io.err());
        try (Backend be = Backends.create(pr.matchedOptionValue("--backend", "auto"), BackendOptions.fromSystemProperties())) {
            List<ExactFrames> members = new ArrayList<>();
            for (int k = 0; k < files.size(); k++) {
                ModelKind<?> kind = Models.of(read.get(k));
                ExactFrames e = kind.exactFrames(be, read.get(k));
                if (e == null) {
                    throw new IllegalArgumentException(files.get(k) + " holds a " + kind.name() + " model, whose likelihood is not exact: a mixture "
                            + "takes models whose likelihood is exact only (the NADE family, note-lstm)");
                }
                members.add(e);
            }
            long t0 = System.nanoTime();
            double[] w = weights(pr, weightsGiven, members, s, report);
            List<PianoRoll> rolls = Rolls.selection(s);
            Report.Phase bar = report.phase(samples > 0 ? "log-likelihood, " + samples + " frames drawn per step" : "log-likelihood",
                    rolls.stream().mapToLong(PianoRoll::frames).sum());
            Mixture.Result r = Mixture.evaluate(members, w, rolls, samples, seed, bar::advance);
            bar.finish();
            report.line(String.format(Locale.ROOT, "%s, split %s: %d sequences, %,d frames (%.1f s)", s.data(), s.split(), rolls.size(),
                    r.frames(), (System.nanoTime() - t0) / 1e9));
            for (int k = 0; k < files.size(); k++) {
                report.line(String.format(Locale.ROOT, "  member %d, weight %.4f: %s: %.4f per time step", k + 1, w[k], files.get(k),
                        r.members()[k]));
            }
            report.line(String.format(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (the mixture of %d: exact)", r.logLikelihood(),
                    r.stdErr(), files.size()));
            if (samples > 0) {
                report.line(String.format(Locale.ROOT, "frame-level accuracy: %.2f%% (ACC: per step, the expected accuracy of %d frames drawn "
                        + "from the mixture given the true history, mean over steps), %.2f%% (pooled over the same frames)", 100 * r.acc(),
                        samples, 100 * r.accPooled()));
            }
            report.line(Rolls.repeatBaseline(rolls));
        }
    }

    /** The weights: given, equal, or the most likely on the valid split of the same data set. */
    private static double[] weights(ParseResult pr, String given, List<ExactFrames> members, ModelKind.Selection s, Report report)
            throws IOException {
        int m = members.size();
        double[] w = new double[m];
        if (given.equals("equal")) {
            java.util.Arrays.fill(w, 1.0 / m);
            return w;
        }
        if (given.equals("fit")) {
            List<PianoRoll> valid = Rolls.selection(new ModelKind.Selection(s.data(), "valid", 1, 0));
            if (valid.stream().mapToLong(PianoRoll::frames).sum() == 0) {
                throw new IllegalArgumentException(s.data() + " has no valid split to fit the weights on: give --weights equal or W,W,...");
            }
            double[][] memberLp = Mixture.logProbs(members, valid);
            w = Mixture.fitWeights(memberLp, 1000);
            double[] lp = Mixture.mix(memberLp, w);
            double mean = 0;
            for (double x : lp) mean += x / lp.length;
            report.line(String.format(Locale.ROOT, "weights fitted on the valid split (EM): %s, log-likelihood per time step there %.4f",
                    java.util.Arrays.stream(w).mapToObj(x -> String.format(Locale.ROOT, "%.4f", x)).collect(Collectors.joining(", ")), mean));
            return w;
        }
        String[] parts = given.split(",");
        if (parts.length != m) {
            throw new ParameterException(pr.commandSpec().commandLine(), "--weights: " + parts.length + " numbers for " + m + " checkpoints");
        }
        double sum = 0;
        for (int k = 0; k < m; k++) {
            try {
                w[k] = Double.parseDouble(parts[k].trim());
            } catch (NumberFormatException e) {
                throw new ParameterException(pr.commandSpec().commandLine(), "--weights must be fit, equal or numbers, got " + given);
            }
            if (!(w[k] >= 0) || Double.isInfinite(w[k])) {
                throw new ParameterException(pr.commandSpec().commandLine(), "--weights must be >= 0, got " + given);
            }
            sum += w[k];
        }
        if (!(sum > 0)) throw new ParameterException(pr.commandSpec().commandLine(), "--weights: at least one must be > 0, got " + given);
        for (int k = 0; k < m; k++) w[k] /= sum;
        return w;
    }
}
