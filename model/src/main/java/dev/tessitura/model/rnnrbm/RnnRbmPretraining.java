package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.StackedFrames;
import dev.tessitura.model.rbm.Rbm;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * The RNN-RBM's two pretrainings, which start a trainer's model from something better than the tutorial's random
 * weights: the RBM part alone as a plain RBM ({@link #rbm}), or the RNN part alone as a next-frame predictor
 * ({@link #rnnEpoch}). A new run does one of them ({@link RnnRbmConfig#pretrainEpochs} or
 * {@link RnnRbmConfig#pretrainRnnEpochs}) before its first epoch.
 */
public final class RnnRbmPretraining {
    private final RnnRbmTrainer trainer;
    private final Backend be;
    private final RnnRbm model;
    private final RnnRbmConfig config;
    private Optimizer adam;            // RNN pretraining's moments, kept across its epochs

    public RnnRbmPretraining(Backend be, RnnRbmTrainer trainer) {
        this.trainer = trainer;
        this.be = be;
        this.model = trainer.model;
        this.config = trainer.config();
    }

    /**
     * One epoch of RNN pretraining: bv, Wuv and the recurrence trained as an RNN that predicts every frame from the
     * previous ones, P(v_j(t) = 1 | v(<t)) = sigmoid(bv_j(t)), with the cross-entropy cost
     * ({@link RnnRbm#predictorCostAndGradients}); Adam at {@code pretrainRnnLr}, one update per chunk, the chunks in
     * a Philox shuffle from stream (seed, 8). That RNN is the RNN-RBM with W = 0, so after it the RNN-RBM (whose W is
     * still small) starts from the RNN's log-likelihood, and CD training adds what only the RBM can model: the
     * dependencies between the notes of one frame. Returns the epoch's mean cost per frame.
     */
    public double rnnEpoch(List<PianoRoll> rolls, int epoch, IntConsumer progress) {
        return rnnEpoch(rolls, epoch, progress, () -> false);
    }

    /** As above, checking {@code stop} before every update: NaN when it asked to stop (the epoch is then partly done). */
    public double rnnEpoch(List<PianoRoll> rolls, int epoch, IntConsumer progress, BooleanSupplier stop) {
        EpochResult r = rnnEpoch(rolls, Position.start(epoch), () -> stop.getAsBoolean(), progress, true);
        return r.completed() ? r.meanCost() : Double.NaN;
    }

    /**
     * As above from {@code from} (its chunk index, and the cost summed before it), to the end of its epoch or until
     * {@code stop} says so before a chunk after the first (before the first too when {@code atOnce}): a stopped
     * epoch's position resumes exactly, given the model and the Adam state of the moment.
     */
    public EpochResult rnnEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress, boolean atOnce) {
        double total = from.costSum();
        long frames = from.frames();
        StackedFrames.Stack stack = trainer.stacked(rolls);
        List<int[]> chunks = trainer.chunks(rolls, 8, from.epoch());
        for (int i = from.index(); i < chunks.size(); i++) {
            if ((atOnce || i > from.index()) && stop.getAsBoolean()) {
                return new EpochResult(total / Math.max(frames, 1), new Position(from.epoch(), i, total, frames), false);
            }
            int[] c = chunks.get(i);
            Tensor v = stack.rows(c[0], c[1], c[2]);
            model.forward(v, c[2]);
            model.zeroGrads();
            double cost = model.predictorCostAndGradients(v, c[2]);
            trainer.gradientNorm2(cost);
            adam().begin();
            adam.apply(model.params, model.grads, 0, Math.toIntExact(model.params.size()), config.pretrainRnnLr());
            total += cost * c[2];
            frames += c[2];
            if (progress != null) progress.accept(c[2]);
        }
        return EpochResult.completed(from.epoch(), chunks.size(), total, frames);
    }

    /**
     * The pretrained RNN's exact negative log-likelihood per frame over whole sequences of a split (a flat average
     * over all frames, as the evaluation): what the RNN-RBM's log-likelihood starts from after RNN pretraining.
     */
    public double predictorCost(List<PianoRoll> rolls) {
        double total = 0;
        long frames = 0;
        for (PianoRoll r : rolls) {
            if (r.frames() == 0) continue;
            Tensor v = be.of(r.toFloats(), r.frames(), model.nv);
            model.forward(v, r.frames());
            total += model.predictorCost(v, r.frames()) * r.frames();
            frames += r.frames();
        }
        return total / Math.max(frames, 1);
    }

    /** RNN pretraining's Adam: its moments are kept across the epochs (and in a checkpoint of an unfinished pretraining). */
    Optimizer adam() {
        if (adam == null) adam = new Optimizer(be, Optimizer.Kind.ADAM, model.params, 0f);
        return adam;
    }

    /**
     * RBM pretraining (the tutorial's improvement): W, bv, bh trained as a plain RBM with CD-k on shuffled frames of
     * the training set, minibatches of 100 frames, before the RNN-RBM's own training. Returns the last epoch's
     * reconstruction cost.
     */
    public double rbm(List<PianoRoll> rolls, int epochs, IntConsumer progress) {
        double recon = Double.NaN;
        for (int e = 0; e < epochs; e++) recon = rbmEpoch(rolls, e, progress, () -> false);
        return recon;
    }

    private List<float[]> frames;      // the training frames in the order of the last RBM pretraining epoch's shuffle
    private int shuffled = -1;         // that epoch

    /**
     * Epoch {@code epoch} of RBM pretraining, checking {@code stop} before every minibatch; returns its reconstruction
     * cost, NaN when it was asked to stop (W, bv, bh then partly trained). Each epoch shuffles the order the epoch
     * before left (Philox stream (seed, 4)), so an epoch's order is found by replaying the shuffles before it.
     */
    public double rbmEpoch(List<PianoRoll> rolls, int epoch, IntConsumer progress, BooleanSupplier stop) {
        if (frames == null || shuffled >= epoch) {
            frames = new ArrayList<>();
            for (PianoRoll r : rolls) {
                float[] a = r.toFloats();
                for (int t = 0; t < r.frames(); t++) frames.add(java.util.Arrays.copyOfRange(a, t * model.nv, (t + 1) * model.nv));
            }
            shuffled = -1;
        }
        while (shuffled < epoch) {
            int e = ++shuffled;
            float[] u = new float[frames.size()];
            Philox.uniforms(config.seed(), 4, (long) e << 24, u, 0, u.length);
            for (int i = frames.size() - 1; i > 0; i--) java.util.Collections.swap(frames, i, Math.min(i, (int) (u[i] * (i + 1))));
        }
        Rbm rbm = new Rbm(be, model.nv, config.nh());
        be.copy(rbm.w, model.W);
        be.copy(rbm.bv, model.bv);
        be.copy(rbm.bh, model.bh);
        double sum = 0;
        int batches = 0, batch = 100;
        boolean stopped = false;
        for (int b0 = 0; b0 + batch <= frames.size(); b0 += batch) {
            if (stop.getAsBoolean()) {
                stopped = true;
                break;
            }
            float[] x = new float[batch * model.nv];
            for (int i = 0; i < batch; i++) System.arraycopy(frames.get(b0 + i), 0, x, i * model.nv, model.nv);
            Tensor data = be.of(x, batch, model.nv);
            rbm.cdUpdate(data, config.k(), config.lrRbm(), trainer.rng);
            sum += rbm.reconstructionCost(data);
            batches++;
            if (progress != null) progress.accept(batch);
        }
        be.copy(model.W, rbm.w);
        be.copy(model.bv, rbm.bv);
        be.copy(model.bh, rbm.bh);
        return stopped ? Double.NaN : sum / Math.max(batches, 1);
    }
}
