package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.IndependentNotes;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The paper's RNN row (rnn): a tanh RNN whose output is 88 independent sigmoid notes, P(v_j(t) = 1 | v(&lt;t)) =
 * sigmoid(bv_j(t)), bv(t) = bv + Wuv u(t-1). It is exactly the RNN-RBM's RNN pretraining predictor (the RNN-RBM with
 * W = 0), trained the same way ({@link RnnRbmPretraining#rnnEpoch}: chunks, Adam on the exact cross-entropy), so its
 * figures are what the RNN-RBM starts from.
 *
 * @param nu    recurrent units
 * @param chunk frames per chunk (an update's time steps; each chunk starts from u(0))
 * @param lr    Adam's learning rate
 */
public final class RnnKind implements ModelKind<RnnKind.Config> {
    public static final RnnKind RNN = new RnnKind();

    public record Config(int nu, int chunk, float lr, long seed) {
        public Config {
            if (nu < 1 || chunk < 1) throw new IllegalArgumentException("rnn: --recurrent and --steps must be >= 1");
            if (!(lr > 0)) throw new IllegalArgumentException("rnn: --lr must be > 0, got " + lr);
        }

        /** The RNN-RBM whose RNN part this is (one hidden unit: the RBM part is never used). */
        RnnRbmConfig rnnRbm() {
            return RnnRbmConfig.defaults().withNh(1).withNu(nu).withChunk(chunk).withPretrainRnnLr(lr).withSeed(seed);
        }
    }

    private static final Settings<Config> SETTINGS = Settings.of(new Config(100, 100, 0.001f, 1))
            .integer("nu", "--recurrent", "N", "recurrent (tanh) units", Config::nu, (c, v) -> new Config(v, c.chunk(), c.lr(), c.seed()))
            .integer("chunk", "--steps", "T", "frames per chunk (each chunk starts from u(0))", Config::chunk,
                    (c, v) -> new Config(c.nu(), v, c.lr(), c.seed()))
            .floating("lr", "--lr", "R", "Adam's learning rate", Config::lr, (c, v) -> new Config(c.nu(), c.chunk(), v, c.seed()))
            .longInt("seed", "--seed", "S", "initial weights and shuffling", Config::seed, (c, v) -> new Config(c.nu(), c.chunk(), c.lr(), v))
            .build();

    private RnnKind() {}

    @Override public String name() { return "rnn"; }

    @Override public String summary() { return "a tanh RNN with independent sigmoid notes: the RNN-RBM's RNN part alone (the paper's RNN row)"; }

    @Override public Settings<Config> settings() { return SETTINGS; }

    @Override public Trainer trainer(Backend be, Config c, Path data, int maxSequences, Report report) throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(c, new RnnRbmTrainer(be, c.rnnRbm(), d.notes()), d);
    }

    @Override public Trainer resume(Backend be, SafeTensors.Contents saved, Config c, Path data, int maxSequences, Report report)
            throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        Training t = new Training(c, new RnnRbmTrainer(be, c.rnnRbm(), d.notes()), d);
        Checkpoints.restore(be, saved, List.of(t.t.model.names()), t.t.model::param, t.pre.adam());
        return t;
    }

    /** The model of a checkpoint. */
    private static RnnRbm load(Backend be, SafeTensors.Contents c) {
        RnnRbmTrainer t = new RnnRbmTrainer(be, RNN.config(c).rnnRbm(), Checkpoints.integer(c, "notes"));
        for (String name : t.model.names()) Checkpoints.restore(be, t.model.param(name), c, name);
        return t.model;
    }

    /**
     * The exact figures of the predictor over every frame of the rolls (each roll from u(0), bv(t) the logits of
     * frame t); null when stop asked first.
     */
    static IndependentNotes.Result measure(RnnRbm model, List<PianoRoll> rolls, int samples, long seed, BooleanSupplier stop) {
        Backend be = model.backend();
        IndependentNotes scores = new IndependentNotes(model.nv, samples, seed, 9);
        for (PianoRoll r : rolls) {
            if (stop.getAsBoolean()) return null;
            if (r.frames() == 0) continue;
            float[] x = r.toFloats();
            model.forward(be.of(x, r.frames(), model.nv), r.frames());
            float[] z = be.toArray(model.visibleBiases(r.frames()));
            for (int t = 0; t < r.frames(); t++) scores.addLogits(z, t * model.nv, x, t * model.nv);
        }
        return scores.result();
    }

    /** The RNN as a run trains it: RNN pretraining's epochs; validation: the exact -LL per frame and expected accuracy. */
    private static final class Training implements Trainer {
        private final Config c;
        private final RnnRbmTrainer t;
        private final RnnRbmPretraining pre;
        private final Rolls.Training d;

        Training(Config c, RnnRbmTrainer t, Rolls.Training d) {
            this.c = c;
            this.t = t;
            this.pre = new RnnRbmPretraining(t.model.backend(), t);
            this.d = d;
        }

        @Override public String describe() {
            return String.format(Locale.ROOT, "rnn %d/%d, %d parameters", t.model.nv, c.nu(), t.model.params.size());
        }

        @Override public long framesPerEpoch() { return d.frames(); }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            return pre.rnnEpoch(d.train(), from, stop, progress, false);
        }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            IndependentNotes.Result r = measure(t.model, d.valid(), 0, 0, stop);
            return r == null ? null : new Validation(-r.logLikelihood(), r.accuracy());
        }

        @Override public Tensor parameters() { return t.model.params; }

        @Override public String costName() { return "cross-entropy per frame"; }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException {
            Map<String, String> meta = Checkpoints.header(about, RNN.name(), SETTINGS, c, at);
            meta.put("notes", Integer.toString(t.model.nv));
            Checkpoints.write(file, t.model.backend(), meta, List.of(t.model.names()), t.model::param, pre.adam());
        }
    }

    @Override public Sampling<NoSettings> sampling() {
        return new Sampling<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, NoSettings o, Request r, Report report) throws IOException {
                RnnRbm model = load(be, c);
                // the RNN-RBM's sampler with W = 0: one Gibbs step draws each frame's notes from sigmoid(bv(t)) exactly
                be.fill(model.W, 0f);
                PianoRoll primer = Rolls.primer(r.prime(), model.nv);
                Report.Phase bar = report.phase("generating", r.steps());
                RnnRbmSampling.Generated g = RnnRbmSampling.generate(be, model, primer, r.steps(), 1, false, r.seed(), bar::advance);
                bar.finish();
                return Rolls.writePiece(g.roll(), g.probabilities(), name() + ", " + r.steps() + " frames", r.song());
            }
        };
    }

    @Override public Evaluating<IndependentNotes.Options> evaluating() {
        return IndependentNotes.evaluating((be, c, rolls, o) -> measure(load(be, c), rolls, o.samples(), o.seed(), () -> false));
    }
}
