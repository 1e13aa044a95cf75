package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation;
import dev.tessitura.model.rbm.RbmEvaluating;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * The RNN-RBM (rnn-rbm), the LSTM-RBM (lstm-rbm, an LSTM stack as the recurrence) and the RTRBM (rtrbm, the RBM's mean
 * hidden state as the recurrence) in the registry.
 */
public final class RnnRbmKind implements ModelKind<RnnRbmConfig> {
    public static final RnnRbmKind RNN_RBM = new RnnRbmKind(false, false), LSTM_RBM = new RnnRbmKind(true, false),
            RTRBM = new RnnRbmKind(false, true);

    private final boolean lstm, rtrbm;
    private final Settings<RnnRbmConfig> settings;

    private RnnRbmKind(boolean lstm, boolean rtrbm) {
        this.lstm = lstm;
        this.rtrbm = rtrbm;
        this.settings = RnnRbmConfig.settings(lstm, rtrbm);
    }

    /** The kind of this configuration. */
    static RnnRbmKind of(RnnRbmConfig c) {
        return c.isLstm() ? LSTM_RBM : c.rtrbm() ? RTRBM : RNN_RBM;
    }

    /** The kind of a checkpoint, which must be one of these three. */
    static RnnRbmKind of(SafeTensors.Contents c) {
        String kind = c.metadata().get("kind");
        for (RnnRbmKind k : List.of(RNN_RBM, LSTM_RBM, RTRBM)) if (k.name().equals(kind)) return k;
        throw new IllegalArgumentException("not an RNN-RBM, LSTM-RBM or RTRBM checkpoint (kind " + kind + ")");
    }

    @Override public String name() { return lstm ? "lstm-rbm" : rtrbm ? "rtrbm" : "rnn-rbm"; }

    @Override public String summary() {
        return lstm ? "the RNN-RBM with an LSTM stack as its recurrence (Lyu et al. 2015)"
                : rtrbm ? "the recurrent temporal RBM (Sutskever et al. 2008): the RBM's mean hidden state as the recurrence"
                : "the RNN-RBM of Boulanger-Lewandowski et al. (ICML 2012), the tutorial's defaults";
    }

    @Override public Settings<RnnRbmConfig> settings() { return settings; }

    @Override
    public Trainer trainer(Backend be, RnnRbmConfig config, Path data, int maxSequences, Report report) throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(new RnnRbmTrainer(be, config, d.notes()), d, null);
    }

    @Override
    public Trainer resume(Backend be, SafeTensors.Contents saved, RnnRbmConfig config, Path data, int maxSequences, Report report)
            throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(RnnRbmTrainer.load(be, saved, config), d, saved);
    }

    /** Header keys of a checkpoint written during pretraining: epochs done, RNN pretraining's Adam step count. */
    private static final String PRETRAIN_DONE = "pretrain_done", PRETRAIN_STEPS = "pretrain_optimizer_steps", PRETRAIN_OPT = "pretrain.opt.";

    /**
     * The trainer as a run drives it: pretraining before the first epoch; the training cost is the free-energy gap per
     * frame; the validation monitor is the expected frame-level accuracy from Gibbs estimates of the note marginals
     * (cheap; its cost 1 - that accuracy), or with {@link RnnRbmConfig#monitorLl} N > 0 a rough log-likelihood, cost
     * = -LL per frame, on every N-th validation sequence: AIS with 10 runs x 300 temperatures and the same draws every
     * epoch, so that epochs differ by the model, not by the noise. The log-likelihood with the paper's AIS is
     * {@code evaluate}'s job.
     *
     * <p>A stop during pretraining puts the model back to the start of the pretraining epoch it was in (kept in
     * memory), and a checkpoint then holds the epochs done and RNN pretraining's Adam moments, so that a resume
     * redoes that epoch exactly.
     */
    private static final class Training implements Trainer {
        private final RnnRbmTrainer t;
        private final Rolls.Training d;
        private final RnnRbmPretraining pre;
        private int pretrained;              // pretraining epochs done

        Training(RnnRbmTrainer t, Rolls.Training d, SafeTensors.Contents saved) {
            this.t = t;
            this.d = d;
            this.pre = new RnnRbmPretraining(t.model.backend(), t);
            // a new run pretrains from the start; a checkpoint written during pretraining says how far it got; any other
            // checkpoint comes after it
            boolean during = saved != null && saved.metadata().containsKey(PRETRAIN_DONE);
            pretrained = saved == null ? 0 : during ? Checkpoints.integer(saved, PRETRAIN_DONE) : pretrainEpochs();
            if (during && !rbmPretraining() && pretrained > 0) {
                Tensor[] state = pre.adam().state();
                for (int i = 0; i < state.length; i++) Checkpoints.restore(t.model.backend(), state[i], saved, PRETRAIN_OPT + i);
                pre.adam().restoreSteps(Checkpoints.integer(saved, PRETRAIN_STEPS));
            }
        }

        private boolean rbmPretraining() { return t.config().pretrainEpochs() > 0; }

        private int pretrainEpochs() { return rbmPretraining() ? t.config().pretrainEpochs() : t.config().pretrainRnnEpochs(); }

        @Override public String describe() {
            RnnRbmConfig c = t.config();
            String u = c.isLstm() ? "LSTM " + Arrays.toString(c.lstmLayers()) : c.rtrbm() ? "its mean hidden state" : Integer.toString(c.nu());
            return c.kind() + " " + t.model.nv + "/" + c.nh() + "/" + u + ", CD-" + c.k() + ", " + t.model.params.size() + " parameters"
                    + (c.batch() > 1 ? ", " + c.batch() + " chunks of " + c.chunk() + " per update" : "");
        }

        @Override public long framesPerEpoch() { return t.framesPerEpoch(d.train()); }

        @Override public boolean beforeFirstEpoch(Report report, BooleanSupplier stop) {
            Backend be = t.model.backend();
            int total = pretrainEpochs();
            double recon = Double.NaN;
            for (int e = pretrained; e < total; e++) {
                // the epoch's start, to go back to if it is stopped: parameters, Rng position, Adam's moments
                float[] params = be.toArray(t.model.params);
                long rng = t.rng.position();
                Tensor[] state = rbmPretraining() ? new Tensor[0] : pre.adam().state();
                float[][] moments = new float[state.length][];
                for (int i = 0; i < state.length; i++) moments[i] = be.toArray(state[i]);
                int steps = rbmPretraining() ? 0 : pre.adam().steps();
                boolean[] asked = {false};
                BooleanSupplier polled = () -> asked[0] = asked[0] || stop.getAsBoolean();
                Report.Phase bar = report.phase((rbmPretraining() ? "RBM" : "RNN") + " pretraining " + (e + 1) + "/" + total, d.frames());
                double cost = rbmPretraining() ? pre.rbmEpoch(d.train(), e, bar::advance, polled) : pre.rnnEpoch(d.train(), e, bar::advance, polled);
                bar.finish();
                if (asked[0]) {
                    be.copyFromHost(t.model.params, params, 0);
                    t.rng.seek(rng);
                    for (int i = 0; i < state.length; i++) be.copyFromHost(state[i], moments[i], 0);
                    if (!rbmPretraining()) pre.adam().restoreSteps(steps);
                    return false;
                }
                pretrained = e + 1;
                if (rbmPretraining()) recon = cost;
                else report.line(String.format(Locale.ROOT, "RNN pretraining epoch %d: cross-entropy per frame %.4f train, %.4f valid",
                        e + 1, cost, d.valid().isEmpty() ? Double.NaN : pre.predictorCost(d.valid())));
            }
            if (!Double.isNaN(recon)) {
                report.line(String.format(Locale.ROOT, "RBM pretraining: %d epochs, reconstruction cost %.4f", total, recon));
            }
            return true;
        }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            return t.trainEpoch(d.train(), from, stop, progress);
        }

        @Override public Tensor parameters() { return t.model.params; }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            ConditionalRbmEvaluation eval = new ConditionalRbmEvaluation(t.model.backend(), t.model);
            int every = t.config().monitorLl();
            if (every > 0) {
                List<PianoRoll> sample = IntStream.range(0, d.valid().size()).filter(i -> i % every == 0).mapToObj(d.valid()::get).toList();
                ConditionalRbmEvaluation.Evaluation ev = eval.evaluate(sample, ConditionalRbmEvaluation.Options.defaults()
                        .withAisRuns(10).withAisSteps(300).withBurnIn(10).withSamples(10).withSeed(1000), null, stop);
                return ev == null ? null : new Validation(-ev.logLikelihood(), ev.accExpected());
            }
            ConditionalRbmEvaluation.Evaluation ev = eval.evaluate(d.valid(), ConditionalRbmEvaluation.Options.defaults().withAisRuns(0)
                    .withBurnIn(10).withSamples(10).withSeed(1000 + epoch), null, stop);
            return ev == null ? null : new Validation(1 - ev.accExpected(), ev.accExpected());
        }

        @Override public String costName() {
            int every = t.config().monitorLl();
            return "train: free-energy gap per frame; valid: "
                    + (every > 0 ? "-log-likelihood per frame (AIS 10 x 300, every " + every + "th sequence)" : "1 - expected ACC");
        }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException {
            if (pretrained == pretrainEpochs()) {
                t.save(file, at, about);
                return;
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(PRETRAIN_DONE, Integer.toString(pretrained));
            Map<String, Tensor> more = new LinkedHashMap<>();
            if (!rbmPretraining()) {
                meta.put(PRETRAIN_STEPS, Integer.toString(pre.adam().steps()));
                Tensor[] state = pre.adam().state();
                for (int i = 0; i < state.length; i++) more.put(PRETRAIN_OPT + i, state[i]);
            }
            t.save(file, at, about, meta, more);
        }
    }

    // ---------------------------------------------------------------- generate

    /** Generation's settings: Gibbs steps per frame, and whether each frame's chain starts at the previous frame. */
    public record SampleOptions(int k, boolean fromPrevious) {
        public SampleOptions {
            if (k < 1) throw new IllegalArgumentException("--k must be >= 1 (Gibbs steps per frame), got " + k);
        }

        SampleOptions withK(int v) { return new SampleOptions(v, fromPrevious); }

        SampleOptions withFromPrevious(boolean v) { return new SampleOptions(k, v); }
    }

    private static final Settings<SampleOptions> SAMPLE = Settings.of(new SampleOptions(25, false))
            .integer(null, "--k", "N", "Gibbs steps per generated frame", SampleOptions::k, SampleOptions::withK)
            .flag(null, "--from-previous", "each frame's chain starts at the previous frame instead of zeros",
                    SampleOptions::fromPrevious, SampleOptions::withFromPrevious)
            .build();

    @Override public Sampling<SampleOptions> sampling() {
        return new Sampling<>() {
            @Override public Settings<SampleOptions> settings() { return SAMPLE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, SampleOptions o, Request r, Report report) throws IOException {
                RnnRbmTrainer t = RnnRbmTrainer.load(be, c);
                PianoRoll primer = Rolls.primer(r.prime(), t.model.nv);
                Report.Phase bar = report.phase("generating", r.steps());
                RnnRbmSampling.Generated g = RnnRbmSampling.generate(be, t.model, primer, r.steps(), o.k(), o.fromPrevious(), r.seed(),
                        bar::advance);
                bar.finish();
                return Rolls.writePiece(g.roll(), g.probabilities(), name() + ", " + (primer == null ? 0 : primer.frames())
                        + " primer frame(s) + " + r.steps() + " generated", r.song());
            }
        };
    }

    // ---------------------------------------------------------------- evaluate

    /** Chains per batch on a GPU: Nottingham's whole test split at 100 AIS runs is 4.4 M chains (engine-cuda's README). */
    private static final int GPU_BATCH_CHAINS = 1 << 21;

    @Override public Evaluating<ConditionalRbmEvaluation.Options> evaluating() {
        return new Evaluating<>() {
            @Override public Settings<ConditionalRbmEvaluation.Options> settings() { return RbmEvaluating.SETTINGS; }

            @Override public Scores evaluate(Backend be, SafeTensors.Contents c, ConditionalRbmEvaluation.Options o, Selection s,
                                             Report report) throws IOException {
                long t0 = System.nanoTime();
                RnnRbmTrainer t = RnnRbmTrainer.load(be, c);
                List<PianoRoll> rolls = Rolls.selection(s);
                if (o.batchChains() == 0) o = o.withBatchChains(be.name().equals("cuda") ? GPU_BATCH_CHAINS : 1);
                int runs = o.aisRuns();
                Report.Phase bar = report.phase(runs == 0 ? "note marginals" : "AIS, " + runs + " runs x " + o.aisSteps() + " temperatures",
                        rolls.stream().mapToLong(PianoRoll::frames).sum());
                ConditionalRbmEvaluation.Evaluation ev = new ConditionalRbmEvaluation(be, t.model).evaluate(rolls,
                        runs > 0 ? Rolls.trainingSplit(s.data()) : rolls, o, bar::advance, () -> false);
                bar.finish();
                return scores(ev, o, s, rolls, t0, report);
            }

            @Override public ByTunes<ConditionalRbmEvaluation.Options, ConditionalRbmEvaluation.Tally> byTunes() {
                return BY_TUNES;
            }
        };
    }

    /** One tune per batch, so that each tune's draws are keyed by its index (see ConditionalRbmEvaluation#tallies). */
    private static final ByTunes<ConditionalRbmEvaluation.Options, ConditionalRbmEvaluation.Tally> BY_TUNES = new ByTunes<>() {
        @Override public ConditionalRbmEvaluation.Options split(ConditionalRbmEvaluation.Options o) {
            if (o.batchChains() > 1) {
                throw new IllegalArgumentException("--batch-chains " + o.batchChains() + " batches tunes for one GPU; split by tunes, "
                        + "each tune is its own batch: leave --batch-chains out");
            }
            return o.withBatchChains(1);
        }

        @Override public List<ConditionalRbmEvaluation.Tally> parts(Backend be, SafeTensors.Contents c, ConditionalRbmEvaluation.Options o,
                                                                   List<PianoRoll> selection, Path data, int from, int to) throws IOException {
            RnnRbmTrainer t = RnnRbmTrainer.load(be, c);
            List<PianoRoll> baseRate = o.aisRuns() > 0 ? Rolls.trainingSplit(data) : selection;
            return new ConditionalRbmEvaluation(be, t.model).tallies(selection, baseRate, from, to, split(o), null, () -> false);
        }

        @Override public Scores merge(List<ConditionalRbmEvaluation.Tally> parts, ConditionalRbmEvaluation.Options o, Selection s,
                                      List<PianoRoll> selection, long t0, Report report) {
            return scores(ConditionalRbmEvaluation.Tally.merge(parts, o.aisRuns() > 0).evaluation(), o, s, selection, t0, report);
        }
    };

    /** The evaluation's report lines and scores. */
    private static Scores scores(ConditionalRbmEvaluation.Evaluation ev, ConditionalRbmEvaluation.Options o, Selection s,
                                 List<PianoRoll> rolls, long t0, Report report) {
        report.line(Rolls.selectionLine(s, rolls.size(), ev.frames(), t0));
        return RbmEvaluating.report(ev, o, report, rolls);
    }
}
