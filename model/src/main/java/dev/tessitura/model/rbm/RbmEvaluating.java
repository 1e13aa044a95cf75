package dev.tessitura.model.rbm;

import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation.AisPreset;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation.ChainStart;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation.Options;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the RBM-based models' {@code evaluate} shares: its settings, and the lines and scores it reports. */
public final class RbmEvaluating {
    private RbmEvaluating() {}

    /** The settings of evaluate for rnn-rbm, lstm-rbm and rbm; --ais comes first so that --ais-runs and --ais-steps override it. */
    public static final Settings<Options> SETTINGS = Settings.of(Options.defaults().withBatchChains(0))
            .word(null, "--ais", "PRESET", "AIS budget: quick (20 runs x 1,000 temperatures) or paper (the paper's protocol: 100 runs x "
                    + "14,500 temperatures of the cited AIS code's schedule, base rate from the training data)", AisPreset.class,
                    o -> o.ais() == null ? AisPreset.QUICK : o.ais(), Options::withAis)
            .integer(null, "--ais-runs", "N", "AIS runs per conditional RBM for the log-likelihood (0: accuracies only)",
                    Options::aisRuns, Options::withAisRuns)
            .integer(null, "--ais-steps", "N", "AIS temperatures, of the shape of the paper's schedule (fewer: faster, coarser)",
                    Options::aisSteps, Options::withAisSteps)
            .integer(null, "--gibbs-burn-in", "N", "Gibbs steps before the chains' frames are used", Options::burnIn, Options::withBurnIn)
            .integer(null, "--gibbs-samples", "N", "Gibbs steps whose frames (and marginals) are averaged", Options::samples, Options::withSamples)
            .word(null, "--chain-start", "WHERE", "where frame t's chains start: previous (v(t-1), known when v(t) is predicted), "
                    + "zeros, or true-frame (the answer v(t): a diagnostic, not a prediction)", ChainStart.class,
                    Options::chainStart, Options::withChainStart)
            .integer(null, "--batch-chains", "N", "sequences evaluated together while frames x runs stay within N "
                    + "(0: the backend's choice, one sequence at a time on a CPU, 2097152 on a GPU)",
                    Options::batchChains, Options::withBatchChains)
            .longInt(null, "--seed", "S", "seed of the AIS and Gibbs draws", Options::seed, Options::withSeed)
            .build();

    /** Prints an evaluation's figures and returns them as scores: the headline accuracy is {@link ConditionalRbmEvaluation.Evaluation#accuracy}. */
    public static ModelKind.Scores report(ConditionalRbmEvaluation.Evaluation ev, Options o, Report report, List<PianoRoll> rolls) {
        int runs = o.aisRuns();
        if (o.chainStart() == ChainStart.TRUE_FRAME) {
            report.line("diagnostic: the Gibbs chains start at the true frame v(t), so their accuracies see the answer and are not predictions");
        }
        report.line(runs > 0 ? String.format(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (AIS: %d runs, %d temperatures; "
                + "AIS error %.4f)", ev.logLikelihood(), ev.stdErr(), runs, o.aisSteps(), ev.aisStdErr())
                : "log-likelihood per time step: not computed (--ais-runs 0)");
        if (runs > 0) {
            report.line(String.format(Locale.ROOT, "frame-level accuracy (expected per time step): %.2f%% over the AIS runs' weighted end "
                    + "states (the headline: no chain start), %.2f%% over %d Gibbs frames from the %s", 100 * ev.accAisFrames(),
                    100 * ev.accChainFrames(), o.samples(), start(o)));
        } else {
            report.line(String.format(Locale.ROOT, "frame-level accuracy (expected per time step): %.2f%% over %d Gibbs frames from the %s",
                    100 * ev.accChainFrames(), o.samples(), start(o)));
        }
        report.line(String.format(Locale.ROOT, "pooled sum TP / sum (TP + FP + FN) of the Gibbs marginals: %.2f%% (expected), %.2f%% "
                + "(p > 0.5), %.2f%% (one sample), %.2f%% (most probable sampled frame)",
                100 * ev.accExpected(), 100 * ev.accThreshold(), 100 * ev.accSampled(), 100 * ev.accMode()));
        if (runs > 0) {
            report.line(String.format(Locale.ROOT, "pooled, of the AIS runs' weighted marginals: %.2f%% (expected), %.2f%% (p > 0.5)",
                    100 * ev.accAisExpected(), 100 * ev.accAisThreshold()));
        }
        report.line(Rolls.repeatBaseline(rolls));
        Map<String, Double> more = new LinkedHashMap<>();
        more.put(ModelKind.ACC_STDERR, ev.accStdErr());
        more.put("acc_chain", ev.accChainFrames());
        more.put("acc_pooled", ev.accExpected());
        more.put("acc_threshold", ev.accThreshold());
        more.put("acc_sampled", ev.accSampled());
        more.put("acc_mode", ev.accMode());
        more.put("acc_ais_pooled", ev.accAisExpected());
        more.put("acc_ais_threshold", ev.accAisThreshold());
        more.put("ais_stderr", ev.aisStdErr());
        return new ModelKind.Scores(ev.frames(), ev.logLikelihood(), ev.stdErr(), ev.accuracy(), more);
    }

    private static String start(Options o) {
        return switch (o.chainStart()) {
            case PREVIOUS -> "previous frame v(t-1)";
            case ZEROS -> "empty frame";
            case TRUE_FRAME -> "true frame v(t)";
        };
    }
}
