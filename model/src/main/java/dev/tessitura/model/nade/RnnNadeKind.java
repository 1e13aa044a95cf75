package dev.tessitura.model.nade;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ExactFrames;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rnnrbm.RnnRbmSampling;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/** The RNN-NADE (rnn-nade) and the LSTM-NADE (lstm-nade, an LSTM stack as the recurrence) in the registry. */
public final class RnnNadeKind implements ModelKind<RnnNadeConfig> {
    public static final RnnNadeKind RNN_NADE = new RnnNadeKind(false), LSTM_NADE = new RnnNadeKind(true);

    private final boolean lstm;
    private final Settings<RnnNadeConfig> settings;

    private RnnNadeKind(boolean lstm) {
        this.lstm = lstm;
        this.settings = RnnNadeConfig.settings(lstm);
    }

    /** The kind of this configuration. */
    static RnnNadeKind of(RnnNadeConfig c) {
        return c.isLstm() ? LSTM_NADE : RNN_NADE;
    }

    /** The kind of a checkpoint, which must be one of these two. */
    static RnnNadeKind of(SafeTensors.Contents c) {
        String kind = c.metadata().get("kind");
        if (RNN_NADE.name().equals(kind)) return RNN_NADE;
        if (LSTM_NADE.name().equals(kind)) return LSTM_NADE;
        throw new IllegalArgumentException("not an RNN-NADE or LSTM-NADE checkpoint (kind " + kind + ")");
    }

    @Override public String name() { return lstm ? "lstm-nade" : "rnn-nade"; }

    @Override public String summary() {
        return lstm ? "the RNN-NADE with an LSTM stack as its recurrence"
                : "the RNN-NADE of Boulanger-Lewandowski et al. (ICML 2012): the RNN-RBM's recurrence, a NADE per frame, exact likelihood";
    }

    @Override public Settings<RnnNadeConfig> settings() { return settings; }

    /** The training split, transposed by -6..+5 semitones too with --augment (validation untouched). */
    static List<PianoRoll> trainingRolls(Rolls.Training d, boolean augment, Report report) {
        if (!augment) return d.train();
        List<PianoRoll> all = Rolls.transposed(d.train(), -6, 5);
        report.line(String.format(Locale.ROOT, "augment: %d training sequences with their transpositions (%,d frames)", all.size(),
                NadeFrames.frames(all)));
        return all;
    }

    @Override
    public Trainer trainer(Backend be, RnnNadeConfig config, Path data, int maxSequences, Report report) throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(new RnnNadeTrainer(be, config, d.notes()), trainingRolls(d, config.augment(), report), d.valid(), null);
    }

    @Override
    public Trainer resume(Backend be, SafeTensors.Contents saved, RnnNadeConfig config, Path data, int maxSequences, Report report)
            throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(RnnNadeTrainer.load(be, saved, config), trainingRolls(d, config.augment(), report), d.valid(), saved);
    }

    @Override public boolean startsFromParameters() { return true; }

    @Override
    public Trainer initialized(Backend be, SafeTensors.Contents from, RnnNadeConfig config, Path data, int maxSequences, Report report)
            throws IOException {
        if (config.pretrainEpochs() > 0 || config.pretrainRnnEpochs() > 0) {
            throw new IllegalArgumentException("--init starts from trained parameters: leave --pretrain and --pretrain-rnn out");
        }
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        RnnNadeTrainer t = new RnnNadeTrainer(be, config, d.notes());
        for (String name : t.model.names()) Checkpoints.restore(be, t.model.param(name), from, name);    // sizes checked there
        return new Training(t, trainingRolls(d, config.augment(), report), d.valid(), null);
    }

    /**
     * Header keys of a checkpoint written during pretraining: where it stands (epochs done, the next update, the
     * epoch's cost so far) and the pretraining Adam's step count and moments.
     */
    private static final String PRETRAIN_DONE = "pretrain_done", PRETRAIN_INDEX = "pretrain_index", PRETRAIN_COST = "pretrain_cost_sum",
            PRETRAIN_FRAMES = "pretrain_cost_frames", PRETRAIN_STEPS = "pretrain_optimizer_steps", PRETRAIN_OPT = "pretrain.opt.";

    /** Samples per time step of the validation monitor's ACC, and its seed (the same draws every epoch). */
    private static final int VALID_SAMPLES = 10;
    private static final long VALID_SEED = 1000;

    /**
     * The trainer as a run drives it: pretraining before the first epoch; the training cost is the exact negative
     * log-likelihood per frame of the chunks; the validation monitor is the exact validation NLL per frame (whole
     * sequences) and the ACC of 10 sampled frames per time step. A stop during pretraining leaves a checkpoint that
     * holds where pretraining stands and its Adam, so that a resume goes on from the very update it stopped before.
     */
    private static final class Training implements Trainer {
        private final RnnNadeTrainer t;
        private final List<PianoRoll> train, valid;
        private Position pretrainAt;         // pretraining's position: epochs done, next update

        Training(RnnNadeTrainer t, List<PianoRoll> train, List<PianoRoll> valid, SafeTensors.Contents saved) {
            this.t = t;
            this.train = train;
            this.valid = valid;
            boolean during = saved != null && saved.metadata().containsKey(PRETRAIN_DONE);
            pretrainAt = Position.start(saved == null ? 0 : during ? Checkpoints.integer(saved, PRETRAIN_DONE) : pretrainEpochs());
            if (during) {
                pretrainAt = new Position(pretrainAt.epoch(), Checkpoints.integer(saved, PRETRAIN_INDEX),
                        Double.parseDouble(saved.metadata().get(PRETRAIN_COST)), Checkpoints.longInt(saved, PRETRAIN_FRAMES));
                Tensor[] state = t.pretrainingOptimizer().state();
                for (int i = 0; i < state.length; i++) Checkpoints.restore(t.model.backend(), state[i], saved, PRETRAIN_OPT + i);
                t.pretrainingOptimizer().restoreSteps(Checkpoints.integer(saved, PRETRAIN_STEPS));
            }
        }

        private boolean nadePretraining() { return t.config().pretrainEpochs() > 0; }

        private int pretrainEpochs() { return nadePretraining() ? t.config().pretrainEpochs() : t.config().pretrainRnnEpochs(); }

        @Override public String describe() {
            RnnNadeConfig c = t.config();
            String u = c.isLstm() ? "LSTM " + Arrays.toString(c.lstmLayers()) + (c.skip() ? " with skip connections" : "") : Integer.toString(c.nu());
            return c.kind() + " " + t.model.nv + "/" + c.nh() + "/" + u + ", " + t.model.params.size() + " parameters, chunks of "
                    + c.chunk() + (c.batch() > 1 ? ", " + c.batch() + " per update" : "") + ", " + c.optimizer().name().toLowerCase(Locale.ROOT)
                    + (c.augment() ? ", transposition augmentation" : "") + (c.dropout() > 0 ? ", dropout " + c.dropout() + " on u(t)" : "");
        }

        @Override public long framesPerEpoch() { return t.framesPerEpoch(train); }

        @Override public boolean beforeFirstEpoch(Report report, BooleanSupplier stop) {
            while (pretrainAt.epoch() < pretrainEpochs()) {
                int e = pretrainAt.epoch();
                Report.Phase bar = report.phase((nadePretraining() ? "NADE" : "RNN") + " pretraining " + (e + 1) + "/" + pretrainEpochs(),
                        t.framesPerEpoch(train));
                EpochResult r = nadePretraining() ? t.pretrainNadeEpoch(train, pretrainAt, stop, bar::advance)
                        : t.pretrainRnnEpoch(train, pretrainAt, stop, bar::advance);
                bar.finish();
                pretrainAt = r.next();
                if (!r.completed()) return false;
                report.line(String.format(Locale.ROOT, "%s pretraining epoch %d: %.4f per frame train, %.4f valid", nadePretraining()
                        ? "NADE (negative log-likelihood as a plain NADE)" : "RNN (cross-entropy of the predictor)", e + 1, r.meanCost(),
                        valid.isEmpty() ? Double.NaN : nadePretraining() ? t.nadeNll(valid) : t.nll(valid)));
            }
            return true;
        }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            return t.trainEpoch(train, from, stop, progress);
        }

        @Override public Tensor parameters() { return t.model.params; }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (valid.isEmpty()) return Validation.NONE;
            NadeEvaluation.Result r = NadeEvaluation.evaluate(t.model.backend(), t.model.nade, biases(t.model), valid, VALID_SAMPLES,
                    VALID_SEED, null, stop);
            return r == null ? null : new Validation(-r.logLikelihood(), r.acc());
        }

        @Override public String costName() {
            return "negative log-likelihood per frame (exact; valid: whole sequences), ACC of " + VALID_SAMPLES + " samples per step";
        }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException {
            if (pretrainAt.epoch() == pretrainEpochs()) {
                t.save(file, at, about);
                return;
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(PRETRAIN_DONE, Integer.toString(pretrainAt.epoch()));
            meta.put(PRETRAIN_INDEX, Integer.toString(pretrainAt.index()));
            meta.put(PRETRAIN_COST, Double.toString(pretrainAt.costSum()));
            meta.put(PRETRAIN_FRAMES, Long.toString(pretrainAt.frames()));
            meta.put(PRETRAIN_STEPS, Integer.toString(t.pretrainingOptimizer().steps()));
            Map<String, Tensor> more = new LinkedHashMap<>();
            Tensor[] state = t.pretrainingOptimizer().state();
            for (int i = 0; i < state.length; i++) more.put(PRETRAIN_OPT + i, state[i]);
            t.save(file, at, about, meta, more);
        }
    }

    /** The conditionals of a whole sequence: its forward pass from u(0) = 0, then bv(t), bh(t). */
    static NadeEvaluation.Biases biases(RnnNade m) {
        return (v, steps) -> {
            m.forward(v, steps, 1);
            return new Tensor[] {m.biases.visibleBiases(steps), m.biases.hiddenBiases(steps)};
        };
    }

    // ---------------------------------------------------------------- generate

    @Override public Sampling<NoSettings> sampling() {
        return new Sampling<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, NoSettings o, Request r, Report report) throws IOException {
                RnnNade m = RnnNadeTrainer.load(be, c).model;
                PianoRoll primer = Rolls.primer(r.prime(), m.nv);
                Rng g = new Rng(r.seed(), 5);
                Report.Phase bar = report.phase("generating", r.steps());
                RnnRbmSampling.Generated piece = RnnRbmSampling.generate(be, m.biases, primer, r.steps(),
                        (v, vp, bvt, bht) -> m.nade.sample(v, vp, bvt, bht, g), bar::advance);
                bar.finish();
                return Rolls.writePiece(piece.roll(), piece.probabilities(), name() + ", " + (primer == null ? 0 : primer.frames())
                        + " primer frame(s) + " + r.steps() + " generated (exact ancestral sampling)", r.song());
            }
        };
    }

    // ---------------------------------------------------------------- evaluate

    @Override public ExactFrames exactFrames(Backend be, SafeTensors.Contents c) {
        RnnNade m = RnnNadeTrainer.load(be, c).model;
        return NadeEvaluation.exact(be, m.nade, biases(m));
    }

    /** Evaluation's settings: frames sampled per time step for ACC, and the seed of their draws. */
    public record EvalOptions(int samples, long seed) {
        public EvalOptions {
            if (samples < 0) throw new IllegalArgumentException("--samples must be >= 0, got " + samples);
        }
    }

    static final Settings<EvalOptions> EVALUATE = Settings.of(new EvalOptions(50, 1))
            .integer(null, "--samples", "N", "frames drawn per time step given the true history for ACC (0: the log-likelihood alone)",
                    EvalOptions::samples, (o, v) -> new EvalOptions(v, o.seed()))
            .longInt(null, "--seed", "S", "seed of the sampled frames", EvalOptions::seed, (o, v) -> new EvalOptions(o.samples(), v))
            .build();

    @Override public Evaluating<EvalOptions> evaluating() {
        return new Evaluating<>() {
            @Override public Settings<EvalOptions> settings() { return EVALUATE; }

            @Override public Scores evaluate(Backend be, SafeTensors.Contents c, EvalOptions o, Selection s, Report report) throws IOException {
                RnnNade m = RnnNadeTrainer.load(be, c).model;
                return NadeKind.report(be, m.nade, biases(m), name(), o, s, report);
            }
        };
    }
}
