package dev.tessitura.model.framerbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Shuffle;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rbm.Ais;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation;
import dev.tessitura.model.rbm.RbmEvaluating;
import dev.tessitura.model.rbm.Rbm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The paper's RBM row (rbm): one RBM over single frames, trained by CD-k on shuffled training frames, which predicts
 * every frame the same way whatever came before. Its log-likelihood needs one log Z (AIS); its accuracy is over the
 * AIS runs' weighted end states, as the RNN-RBM's, with the Gibbs chains' figure beside it.
 */
public final class FrameRbmKind implements ModelKind<FrameRbmConfig> {
    public static final FrameRbmKind RBM = new FrameRbmKind();
    private static final List<String> NAMES = List.of("W", "bv", "bh");

    private FrameRbmKind() {}

    @Override public String name() { return "rbm"; }

    @Override public String summary() { return "an RBM over single frames, CD-k on shuffled frames (the paper's RBM row)"; }

    @Override public Settings<FrameRbmConfig> settings() { return FrameRbmConfig.SETTINGS; }

    @Override public Trainer trainer(Backend be, FrameRbmConfig c, Path data, int maxSequences, Report report) throws IOException {
        return new Training(be, c, Rolls.training(data, maxSequences, report), null);
    }

    @Override public Trainer resume(Backend be, SafeTensors.Contents saved, FrameRbmConfig c, Path data, int maxSequences, Report report)
            throws IOException {
        return new Training(be, c, Rolls.training(data, maxSequences, report), saved);
    }

    /** The RBM a checkpoint holds. */
    static Rbm load(Backend be, SafeTensors.Contents c) {
        FrameRbmConfig config = RBM.config(c);
        Rbm rbm = new Rbm(be, Checkpoints.integer(c, "notes"), config.nh());
        for (String n : NAMES) Checkpoints.restore(be, param(rbm, n), c, n);
        return rbm;
    }

    private static Tensor param(Rbm rbm, String name) {
        return switch (name) {
            case "W" -> rbm.w;
            case "bv" -> rbm.bv;
            default -> rbm.bh;
        };
    }

    /** All frames of the rolls one after another (frames, n). */
    static float[] frames(List<PianoRoll> rolls, int n) {
        float[] x = new float[Math.toIntExact(rolls.stream().mapToLong(PianoRoll::frames).sum() * n)];
        int at = 0;
        for (PianoRoll r : rolls) {
            float[] a = r.toFloats();
            System.arraycopy(a, 0, x, at, a.length);
            at += a.length;
        }
        return x;
    }

    /**
     * The trainer: each epoch the training frames in a Philox shuffle (stream (seed, 1), by epoch), CD-k updates of
     * batch frames with Gibbs draws from the Rng (seed, 3), whose position a checkpoint keeps; training cost: the
     * reconstruction cross-entropy per frame; validation: -LL per frame with log Z from AIS (100 runs x 1,000
     * temperatures, the same draws every epoch) and the expected accuracy over the runs' weighted end states.
     */
    private static final class Training implements Trainer {
        private final Backend be;
        private final FrameRbmConfig c;
        private final Rolls.Training d;
        private final Rbm rbm;
        private final Rng rng;
        private final Optimizer none;
        private final float[] frames;
        private final int n, count;

        Training(Backend be, FrameRbmConfig c, Rolls.Training d, SafeTensors.Contents saved) {
            this.be = be;
            this.c = c;
            this.d = d;
            this.n = d.notes();
            this.rbm = saved == null ? new Rbm(be, n, c.nh()) : load(be, saved);
            if (saved == null) rbm.initNormal(0.01, c.seed());
            this.rng = new Rng(c.seed(), 3);
            if (saved != null) rng.seek(Checkpoints.longInt(saved, "rng_block"));
            this.none = new Optimizer(be, Optimizer.Kind.SGD, rbm.params, 0f);   // plain SGD: no state, for the checkpoint's layout
            this.frames = frames(d.train(), n);
            this.count = frames.length / n;
        }

        @Override public String describe() {
            return String.format(Locale.ROOT, "rbm %d/%d, CD-%d, %d parameters", n, c.nh(), c.k(), rbm.params.size());
        }

        @Override public long framesPerEpoch() { return count; }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            int[] order = Shuffle.order(count, c.seed(), 1, (long) from.epoch() << 24);
            int batches = (count + c.batch() - 1) / c.batch();
            double sum = from.costSum();
            long done = from.frames();
            for (int i = from.index(); i < batches; i++) {
                if (i > from.index() && stop.getAsBoolean()) return new EpochResult(sum / Math.max(done, 1), new Position(from.epoch(), i, sum, done), false);
                int b0 = i * c.batch(), b = Math.min(c.batch(), count - b0);
                float[] x = new float[b * n];
                for (int r = 0; r < b; r++) System.arraycopy(frames, order[b0 + r] * n, x, r * n, n);
                Tensor v = be.of(x, b, n);
                rbm.cdUpdate(v, c.k(), c.lr(), rng);
                double cost = rbm.reconstructionCost(v);
                DivergedException.check("rbm", cost, 0, "update " + i, "try a smaller learning rate");
                sum += cost * b;
                done += b;
                if (progress != null) progress.accept(b);
            }
            return EpochResult.completed(from.epoch(), batches, sum, done);
        }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            float[] x = frames(d.valid(), n);
            Ais.Runs runs = Ais.run(be, rbm.w, rbm.bv, rbm.bh, Ais.baseRateBiases(be, be.of(frames, count, n)), 100,
                    Ais.Schedule.paperShape(1000), new Rng(1000, 6));
            if (stop.getAsBoolean()) return null;
            Tensor f = be.zeros(x.length / n);
            rbm.freeEnergy(f, be.of(x, x.length / n, n));
            double ll = -be.sum(f) / (x.length / n) - runs.estimates()[0].logZ();
            ExpectedAccuracy acc = new ExpectedAccuracy();
            for (int t = 0; t < x.length / n; t++) acc.addExpected(runs.expectedAccuracy(0, x, t * n));
            return new Validation(-ll, acc.value());
        }

        @Override public Tensor parameters() { return rbm.params; }

        @Override public String costName() { return "train: reconstruction cross-entropy per frame; valid: -log-likelihood per frame (AIS 100 x 1000)"; }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException {
            Map<String, String> meta = Checkpoints.header(about, RBM.name(), FrameRbmConfig.SETTINGS, c, at);
            meta.put("notes", Integer.toString(n));
            meta.put("rng_block", Long.toString(rng.position()));
            Checkpoints.write(file, be, meta, NAMES, name -> param(rbm, name), none);
        }
    }

    @Override public Sampling<NoSettings> sampling() {
        return new Sampling<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, NoSettings o, Request r, Report report) throws IOException {
                Rbm rbm = load(be, c);
                // every frame is an independent draw of the RBM: a chain of 100 Gibbs steps per frame, all frames at once
                Tensor v = be.zeros(r.steps(), rbm.nv), p = be.zeros(r.steps(), rbm.nv);
                be.gibbsChain(v, p, rbm.w, rbm.bv, rbm.bh, 100, new Rng(r.seed(), 2));
                PianoRoll roll = PianoRoll.fromFloats(be.toArray(v), r.steps(), PianoRoll.DEFAULT_LOWEST, rbm.nv);
                return Rolls.writePiece(roll, be.toArray(p), name() + ", " + r.steps() + " independent frames", r.song());
            }
        };
    }

    @Override public Evaluating<ConditionalRbmEvaluation.Options> evaluating() {
        return new Evaluating<>() {
            @Override public Settings<ConditionalRbmEvaluation.Options> settings() { return RbmEvaluating.SETTINGS; }

            @Override public Scores evaluate(Backend be, SafeTensors.Contents c, ConditionalRbmEvaluation.Options o, Selection s, Report report)
                    throws IOException {
                long t0 = System.nanoTime();
                Rbm rbm = load(be, c);
                List<PianoRoll> rolls = Rolls.selection(s);
                ConditionalRbmEvaluation.Evaluation ev = FrameRbmEvaluation.evaluate(be, rbm, rolls, Rolls.trainingSplit(s.data()), o, report);
                report.line(Rolls.selectionLine(s, rolls.size(), ev.frames(), t0));
                return RbmEvaluating.report(ev, o, report, rolls);
            }
        };
    }
}
