package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.FrameAccuracy;
import dev.tessitura.model.Position;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.PendingCosts;
import dev.tessitura.model.StackedFrames;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rbm.Ais;
import dev.tessitura.model.rbm.Rbm;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Trains, samples and evaluates an {@link RnnRbm} as in the paper and the deeplearning.net tutorial: every sequence
 * is cut into chunks of at most 100 frames, each chunk starts from u(0), gets one CD-k negative phase for all its
 * frames and one update; sequences are shuffled every epoch. The tutorial's improvements are options: RBM
 * pretraining, Nesterov momentum, gradient-norm clipping, separate learning rates for the RBM and RNN parts, a
 * learning-rate decay per epoch, a learned u(0) (early stopping is the CLI's --patience). Batched mode
 * ({@link Config#batch} B > 1) trains B chunks of the same length per update, as one batch through every op (one
 * Gibbs chain over all their frames, the gradient the mean over them): the paper's cost, B times fewer updates.
 *
 * <p>Random numbers: initial weights from Philox stream (seed, 0), the epoch's order from stream (seed, 1), Gibbs
 * sampling from the {@link Rng} (seed, 3), whose position a checkpoint stores: a resumed run draws what an
 * uninterrupted one would.
 */
public final class RnnRbmTrainer {
    /** Hyper-parameters; defaults are the tutorial's (150 hidden, 100 recurrent, CD-15, lr 0.001, chunks of 100). */
    public record Config(int nh, int nu, int k, int chunk, Optimizer.Kind optimizer, float lrRbm, float lrRnn,
                         float momentum, float clipNorm, float lrDecay, boolean learnU0, int pretrainEpochs, long seed,
                         int[] lstmLayers, int pretrainRnnEpochs, float pretrainRnnLr, int batch) {
        public static Config defaults() {
            return new Config(150, 100, 15, 100, Optimizer.Kind.SGD, 0.001f, 0.001f, 0.9f, 0f, 1f, false, 0, 1);
        }

        /** One chunk per update (the paper's). */
        public Config(int nh, int nu, int k, int chunk, Optimizer.Kind optimizer, float lrRbm, float lrRnn, float momentum,
                      float clipNorm, float lrDecay, boolean learnU0, int pretrainEpochs, long seed, int[] lstmLayers,
                      int pretrainRnnEpochs, float pretrainRnnLr) {
            this(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers,
                    pretrainRnnEpochs, pretrainRnnLr, 1);
        }

        /** This configuration with B = {@code batch} chunks per update. */
        public Config withBatch(int batch) {
            return new Config(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed,
                    lstmLayers, pretrainRnnEpochs, pretrainRnnLr, batch);
        }

        /** Without RNN pretraining. */
        public Config(int nh, int nu, int k, int chunk, Optimizer.Kind optimizer, float lrRbm, float lrRnn, float momentum,
                      float clipNorm, float lrDecay, boolean learnU0, int pretrainEpochs, long seed, int[] lstmLayers) {
            this(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, lstmLayers, 0, 0.001f);
        }

        /** The paper's RNN-RBM (tanh recurrence of nu units). */
        public Config(int nh, int nu, int k, int chunk, Optimizer.Kind optimizer, float lrRbm, float lrRnn, float momentum,
                      float clipNorm, float lrDecay, boolean learnU0, int pretrainEpochs, long seed) {
            this(nh, nu, k, chunk, optimizer, lrRbm, lrRnn, momentum, clipNorm, lrDecay, learnU0, pretrainEpochs, seed, new int[0]);
        }

        /**
         * lstmLayers non-empty: the LSTM-RBM, whose u(t) is the top layer of an LSTM stack of these sizes (nu must be
         * the last of them); u(0) is then 0, not learned.
         */
        public Config {
            if (nh < 1 || nu < 1 || k < 1 || chunk < 1) throw new IllegalArgumentException("rnn-rbm: sizes, k and chunk must be >= 1");
            if (batch < 1) throw new IllegalArgumentException("rnn-rbm: batch (chunks per update) must be >= 1, got " + batch);
            lstmLayers = lstmLayers == null ? new int[0] : lstmLayers.clone();
            if (lstmLayers.length > 0) {
                for (int h : lstmLayers) if (h < 1) throw new IllegalArgumentException("lstm-rbm: layer sizes must be >= 1");
                if (nu != lstmLayers[lstmLayers.length - 1]) {
                    throw new IllegalArgumentException("lstm-rbm: nu (" + nu + ") must be the top LSTM layer's size " + lstmLayers[lstmLayers.length - 1]);
                }
                if (learnU0) throw new IllegalArgumentException("lstm-rbm: u(0) is the LSTM's zero state; --learn-u0 is for rnn-rbm");
            }
            if (pretrainRnnEpochs < 0 || !(pretrainRnnLr > 0)) throw new IllegalArgumentException("rnn-rbm: RNN pretraining needs epochs >= 0 and a learning rate > 0");
            if (pretrainRnnEpochs > 0 && pretrainEpochs > 0) {
                // RBM pretraining fits a static bv to the frames' marginals, which bv(t) of the pretrained RNN already carries
                throw new IllegalArgumentException("rnn-rbm: choose RBM pretraining (--pretrain) or RNN pretraining (--pretrain-rnn), not both");
            }
        }

        public boolean isLstm() {
            return lstmLayers.length > 0;
        }

        public String kind() {
            return isLstm() ? KIND_LSTM : KIND;
        }
    }

    /**
     * The paper's measures over all frames of a split as one flat list: log-likelihood per time step (with AIS for
     * every conditional RBM's log Z) and frame-level accuracy from the note marginals (expected, thresholded at 0.5),
     * from one sample, and from the most probable of the sampled frames.
     */
    public record Evaluation(long frames, double logLikelihood, double stdErr, double aisStdErr,
                             double accExpected, double accThreshold, double accSampled, double accMode,
                             double accAisExpected, double accAisThreshold) {}

    private final Backend be;
    private final Config config;
    public final RnnRbm model;
    public final Optimizer optimizer;
    public final Rng rng;

    public RnnRbmTrainer(Backend backend, Config config, int nv) {
        this.be = backend;
        this.config = config;
        this.model = config.isLstm() ? new RnnRbm(backend, nv, config.nh(), config.lstmLayers()) : new RnnRbm(backend, nv, config.nh(), config.nu());
        model.initTutorial(config.seed());
        this.optimizer = new Optimizer(backend, config.optimizer(), model.params, config.momentum());
        this.rng = new Rng(config.seed(), 3);
    }

    public Config config() { return config; }

    /** The chunks of an epoch, in a Philox shuffle of the sequences for (seed, epoch): {sequence, first frame, length}. */
    List<int[]> chunks(List<PianoRoll> rolls, int epoch) {
        return chunks(rolls, 1, epoch);
    }

    /**
     * The updates of an epoch: its chunks in order, B = batch at a time among chunks of the same length (a batch's
     * chunks walk their T steps together). A chunk joins the first unfilled group of its length; groups go out as
     * they fill, the unfilled ones at the end of the epoch in the order they were opened. Every frame is trained on
     * once per epoch; with B = 1 these are the chunks themselves, in order.
     */
    static List<List<int[]>> batches(List<int[]> chunks, int batch) {
        List<List<int[]>> out = new ArrayList<>();
        Map<Integer, List<int[]>> open = new LinkedHashMap<>();
        for (int[] c : chunks) {
            List<int[]> g = open.computeIfAbsent(c[2], len -> new ArrayList<>());
            g.add(c);
            if (g.size() == batch) {
                out.add(g);
                open.remove(c[2]);
            }
        }
        out.addAll(open.values());
        return out;
    }

    /** As above with the shuffle drawn from Philox stream (seed, stream). */
    private List<int[]> chunks(List<PianoRoll> rolls, int stream, int epoch) {
        int n = rolls.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        float[] u = new float[Math.max(n, 1)];
        Philox.uniforms(config.seed(), stream, (long) epoch << 20, u, 0, n);
        for (int i = n - 1; i > 0; i--) {
            int j = Math.min(i, (int) (u[i] * (i + 1)));
            Integer t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        List<int[]> out = new ArrayList<>();
        for (int s : order) {
            int frames = rolls.get(s).frames();
            for (int t0 = 0; t0 < frames; t0 += config.chunk()) out.add(new int[] {s, t0, Math.min(config.chunk(), frames - t0)});
        }
        return out;
    }

    public long framesPerEpoch(List<PianoRoll> rolls) {
        long n = 0;
        for (PianoRoll r : rolls) n += r.frames();
        return n;
    }

    /** One whole epoch; returns the mean cost per frame. */
    public double trainEpoch(List<PianoRoll> rolls, int epoch, IntConsumer progress) {
        return trainEpoch(rolls, Position.start(epoch), () -> false, progress).meanCost();
    }

    /**
     * Trains from {@code from} to the end of its epoch, or until {@code stop} says so (checked between updates; the
     * position counts updates, i.e. chunks when B = 1). Stops with {@link DivergedException} when an update's cost or
     * gradient is not finite: before that update on a CPU backend; on an asynchronous one (a GPU), where the updates'
     * costs and gradient norms wait on the device and are read every {@link PendingCosts#CHECK_EVERY} updates (and when the epoch
     * stops), up to that many updates after it, the model in memory past it (not to be saved: the last good
     * checkpoint stands). The epoch's frames are on the backend once: with B = 1 a chunk is a view of them, with B > 1
     * an update's B chunks are gathered from them ({@link Backend#gatherRows}, the epoch's row table copied in once), so
     * no update waits for the host.
     */
    public EpochResult trainEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress) {
        List<List<int[]>> updates = batches(chunks(rolls, from.epoch()), config.batch());
        float decay = (float) Math.pow(config.lrDecay(), from.epoch());
        PendingCosts pending = pending(from);
        StackedFrames.Stack frames = stacked(rolls);
        Gathers gathers = config.batch() > 1 ? new Gathers(frames, updates) : null;
        try (Recorded recorded = recordable() ? new Recorded(decay) : null) {
            for (int i = from.index(); i < updates.size(); i++) {
                if (i > from.index() && stop.getAsBoolean()) {
                    pending.check();
                    return new EpochResult(pending.meanCost(), new Position(from.epoch(), i, pending.costSum(), pending.frames()), false);
                }
                List<int[]> group = updates.get(i);
                int steps = group.get(0)[2], n = steps * group.size();
                int[] c = group.get(0);
                Tensor v = gathers == null ? frames.rows(c[0], c[1], c[2]) : gathers.update(i, batchV());
                if (recorded != null && steps == config.chunk() && group.size() == config.batch()) recorded.update(v, pending.add(i, n));
                else update(v, steps, group.size(), decay, pending.add(i, n));
                if (progress != null) progress.accept(n);
            }
        }
        pending.check();
        return new EpochResult(pending.meanCost(), Position.start(from.epoch() + 1), true);
    }

    private Tensor recordedChunk, recordedSlot;   // a recorded update's fixed input and cost row, kept across epochs
    private boolean unrecordable;                 // recording failed once: the backend cannot capture these updates
    private Tensor gatherTable;                   // the rows each update of a B > 1 epoch gathers (Gathers)

    /** The fixed (T B, nv) input of a full update, T = chunk: a recording reads it, B > 1 updates gather into it. */
    private Tensor batchV() {
        if (recordedChunk == null) recordedChunk = be.zeros(config.chunk() * config.batch(), model.nv);
        return recordedChunk;
    }

    /**
     * Whether full updates are worth recording ({@link Backend#record}: a CUDA graph of the whole update): on an
     * asynchronous backend with nothing read on the host per update (no clipping) and no optimizer scalar that
     * changes between updates (Adam's bias corrections do).
     */
    private boolean recordable() {
        return be.asynchronous() && config.clipNorm() <= 0 && config.optimizer() != Optimizer.Kind.ADAM;
    }

    /**
     * The update of B full chunks as one recording for an epoch (its learning rate): the chunks are in (B = 1: copied
     * into) a fixed tensor v, a replay runs the update, and its cost and norm are copied from a fixed row to the
     * update's own. The epoch's first full update runs as usual (it makes every workspace the update needs), the
     * second is recorded.
     */
    private final class Recorded implements AutoCloseable {
        private final float decay;
        private final Tensor v, slot;
        private boolean warm;
        private Backend.Recording recording;

        Recorded(float decay) {
            this.decay = decay;
            if (recordedSlot == null) recordedSlot = be.zeros(2);
            v = batchV();
            slot = recordedSlot;
        }

        void update(Tensor chunk, Tensor out) {
            int steps = config.chunk(), batch = config.batch();
            if (!warm) {
                warm = true;
                RnnRbmTrainer.this.update(chunk, steps, batch, decay, out);
                return;
            }
            be.copy(v, chunk);                                          // nothing to do when the chunks were gathered into v
            if (unrecordable) {
                RnnRbmTrainer.this.update(v, steps, batch, decay, slot);
            } else if (recording == null) {
                int step = optimizer.steps();
                try {
                    recording = be.record(() -> RnnRbmTrainer.this.update(v, steps, batch, decay, slot), rng);
                } catch (RuntimeException e) {
                    // a device or driver that cannot capture this update: nothing of it ran there and the Rng is back
                    // (record's contract), so undo the rest of its host side (the optimizer's step) and go on op by op
                    System.err.println("rnn-rbm: updates not recorded (" + e.getMessage() + "); they run op by op");
                    unrecordable = true;
                    optimizer.restoreSteps(step);
                    RnnRbmTrainer.this.update(v, steps, batch, decay, slot);
                }
            } else {
                recording.replay();
                optimizer.begin();                                      // the host side of an update, which a replay skips
            }
            be.copy(out, slot);
        }

        @Override
        public void close() {
            if (recording != null) recording.close();
        }
    }

    private Tensor scalars;   // (PendingCosts.CHECK_EVERY, 2): each pending update's cost and squared gradient norm

    private PendingCosts pending(Position from) {
        if (scalars == null) scalars = PendingCosts.scalars(be);
        return new PendingCosts(be, scalars, "rnn-rbm", "try a smaller learning rate or --clip-norm", from);
    }

    /** The rolls' frames on the backend, once per run: a chunk {sequence, first frame, length} is a view of them. */
    private StackedFrames stacked;

    private StackedFrames.Stack stacked(List<PianoRoll> rolls) {
        if (stacked == null) stacked = new StackedFrames(be, model.nv, 0);
        return stacked.of(rolls);
    }

    /**
     * The rows of the stacked frames that each update of a B > 1 epoch trains on, as one table on the backend (copied
     * in once per epoch): update i's B chunks of T frames time-major, frame t of chunk b in row t B + b.
     */
    private final class Gathers {
        private final StackedFrames.Stack frames;
        private final long[] offset;
        private final int[] rows;

        Gathers(StackedFrames.Stack frames, List<List<int[]>> updates) {
            this.frames = frames;
            offset = new long[updates.size()];
            rows = new int[updates.size()];
            long total = 0;
            for (int i = 0; i < updates.size(); i++) {
                offset[i] = total;
                rows[i] = updates.get(i).size() * updates.get(i).get(0)[2];
                total += rows[i];
            }
            if (frames.frames().rows() > 1 << 24) throw new IllegalArgumentException("rnn-rbm: more than 2^24 frames in one epoch");
            float[] at = new float[Math.toIntExact(total)];
            for (int i = 0; i < updates.size(); i++) {
                List<int[]> group = updates.get(i);
                int batch = group.size();
                for (int b = 0; b < batch; b++) {
                    int[] c = group.get(b);
                    int first = frames.first()[c[0]] + c[1];
                    for (int t = 0; t < c[2]; t++) at[Math.toIntExact(offset[i]) + t * batch + b] = first + t;   // exact: at most 2^24 rows
                }
            }
            if (gatherTable == null || gatherTable.size() < at.length) gatherTable = be.zeros(at.length);   // kept across epochs
            be.copyFromHost(gatherTable.view(0, at.length), at, 0);
        }

        /** Update i's frames (T B, nv) gathered into the first rows of into. */
        Tensor update(int i, Tensor into) {
            Tensor v = into.slice(0, rows[i]);
            be.gatherRows(v, frames.frames(), gatherTable.view(offset[i], rows[i]));
            return v;
        }
    }

    /** One update on a chunk v (T, nv); returns its cost (free-energy gap per frame). */
    public double step(Tensor v, int steps, float decay) {
        return step(v, steps, 1, decay);
    }

    /**
     * One update on B chunks v (T B, nv), time-major: one CD-k chain over all T B conditionals, the gradient the mean
     * over their frames. Returns the cost per frame (waits for it); throws {@link DivergedException} as trainEpoch.
     */
    public double step(Tensor v, int steps, int batch, float decay) {
        PendingCosts p = pending(Position.start(0));
        update(v, steps, batch, decay, p.add(0, steps * batch));
        p.check();
        return p.meanCost();
    }

    /**
     * One update; its cost and squared gradient norm go to {@code slot} (2). They are read and checked before the
     * optimizer step unless the backend is asynchronous and nothing needs them on the host (no clipping): then the
     * squared norm is summed on the device too and the update goes ahead, checked later by {@link PendingCosts#check}.
     */
    private void update(Tensor v, int steps, int batch, float decay, Tensor slot) {
        model.forward(v, steps, batch);
        Tensor neg = model.sampleNegatives(v, steps, config.k(), rng);
        model.zeroGrads();
        model.costAndGradients(v, neg, steps, slot.view(0, 1));
        if (be.asynchronous() && config.clipNorm() <= 0) {
            if (!config.isLstm() && !config.learnU0()) be.fill(model.grad("u0"), 0f);
            be.sumOfSquares(model.grads, slot.view(1, 1));
        } else {
            double norm2 = gradientNorm2(be.toArray(slot.view(0, 1))[0]);
            be.copyFromHost(slot.view(1, 1), new float[] {(float) Math.min(norm2, Float.MAX_VALUE)}, 0);
            double norm = Math.sqrt(norm2);
            if (config.clipNorm() > 0 && norm > config.clipNorm()) be.scale(model.grads, (float) (config.clipNorm() / norm));
        }
        optimizer.begin();
        long[] rbm = model.rbmBlock(), rnn = model.rnnBlock();
        optimizer.apply(model.params, model.grads, rbm[0], (int) rbm[1], config.lrRbm() * decay);
        optimizer.apply(model.params, model.grads, rnn[0], (int) rnn[1], config.lrRnn() * decay);
    }

    /** Zeroes u(0)'s gradient unless it is learned; the gradient's squared norm, after checking that it and the cost are finite. */
    private double gradientNorm2(double cost) {
        if (!config.isLstm() && !config.learnU0()) be.fill(model.grad("u0"), 0f);
        double norm2 = be.sumOfSquares(model.grads);
        if (!Double.isFinite(cost) || !Double.isFinite(norm2)) {
            throw new DivergedException("rnn-rbm: the cost or the gradient is not finite (cost " + cost
                    + ", squared gradient norm " + norm2 + "); try a smaller learning rate or --clip-norm");
        }
        return norm2;
    }

    private Optimizer rnnPretraining;   // Adam's moments, kept across the pretraining epochs

    /**
     * One epoch of RNN pretraining: bv, Wuv and the recurrence trained as an RNN that predicts every frame from the
     * previous ones, P(v_j(t) = 1 | v(<t)) = sigmoid(bv_j(t)), with the cross-entropy cost
     * ({@link RnnRbm#predictorCostAndGradients}); Adam at {@code pretrainRnnLr}, one update per chunk, the chunks in
     * a Philox shuffle from stream (seed, 8). That RNN is the RNN-RBM with W = 0, so after it the RNN-RBM (whose W is
     * still small) starts from the RNN's log-likelihood, and CD training adds what only the RBM can model: the
     * dependencies between the notes of one frame. Returns the epoch's mean cost per frame.
     */
    public double pretrainRnnEpoch(List<PianoRoll> rolls, int epoch, IntConsumer progress) {
        if (rnnPretraining == null) rnnPretraining = new Optimizer(be, Optimizer.Kind.ADAM, model.params, 0f);
        double total = 0;
        long frames = 0;
        StackedFrames.Stack stack = stacked(rolls);
        for (int[] c : chunks(rolls, 8, epoch)) {
            Tensor v = stack.rows(c[0], c[1], c[2]);
            model.forward(v, c[2]);
            model.zeroGrads();
            double cost = model.predictorCostAndGradients(v, c[2]);
            gradientNorm2(cost);
            rnnPretraining.begin();
            rnnPretraining.apply(model.params, model.grads, 0, Math.toIntExact(model.params.size()), config.pretrainRnnLr());
            total += cost * c[2];
            frames += c[2];
            if (progress != null) progress.accept(c[2]);
        }
        return total / Math.max(frames, 1);
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

    /**
     * RBM pretraining (the tutorial's improvement): W, bv, bh trained as a plain RBM with CD-k on shuffled frames of
     * the training set, minibatches of 100 frames, before the RNN-RBM's own training. Returns the last epoch's
     * reconstruction cost.
     */
    public double pretrain(List<PianoRoll> rolls, int epochs, IntConsumer progress) {
        Rbm rbm = new Rbm(be, model.nv, config.nh());
        be.copy(rbm.w, model.W);
        List<float[]> frames = new ArrayList<>();
        for (PianoRoll r : rolls) {
            float[] a = r.toFloats();
            for (int t = 0; t < r.frames(); t++) frames.add(java.util.Arrays.copyOfRange(a, t * model.nv, (t + 1) * model.nv));
        }
        double recon = Double.NaN;
        int batch = 100;
        for (int e = 0; e < epochs; e++) {
            float[] u = new float[frames.size()];
            Philox.uniforms(config.seed(), 4, (long) e << 24, u, 0, u.length);
            for (int i = frames.size() - 1; i > 0; i--) java.util.Collections.swap(frames, i, Math.min(i, (int) (u[i] * (i + 1))));
            double sum = 0;
            int batches = 0;
            for (int b0 = 0; b0 + batch <= frames.size(); b0 += batch) {
                float[] x = new float[batch * model.nv];
                for (int i = 0; i < batch; i++) System.arraycopy(frames.get(b0 + i), 0, x, i * model.nv, model.nv);
                Tensor data = be.of(x, batch, model.nv);
                rbm.cdUpdate(data, config.k(), config.lrRbm(), rng);
                sum += rbm.reconstructionCost(data);
                batches++;
                if (progress != null) progress.accept(batch);
            }
            recon = sum / Math.max(batches, 1);
        }
        be.copy(model.W, rbm.w);
        be.copy(model.bv, rbm.bv);
        be.copy(model.bh, rbm.bh);
        return recon;
    }

    // ---------------------------------------------------------------- generation

    /** A generated piece and, per frame, the visible probabilities of the last Gibbs step (for a heat map). */
    public record Generated(PianoRoll roll, float[] probabilities) {}

    /**
     * Generation as in the paper: per step, a Gibbs chain of k steps with that step's biases bv(t), bh(t), from zeros
     * (or from the previous frame), then the recurrence. With a primer, the recurrence first reads its frames, which
     * begin the result. Draws come from Philox stream (seed, 5).
     */
    public Generated generate(PianoRoll primer, int steps, int k, boolean fromPrevious, long seed) {
        int nv = model.nv, p = primer == null ? 0 : primer.frames(), total = p + steps;
        float[] out = new float[total * nv], prob = new float[total * nv];
        if (p > 0) {
            float[] a = primer.toFloats();
            System.arraycopy(a, 0, out, 0, a.length);
            System.arraycopy(a, 0, prob, 0, a.length);
        }
        Rng g = new Rng(seed, 5);
        Tensor u = be.zeros(1, model.nu);                              // (1, nu): u(t-1)
        Tensor bvt = be.zeros(1, nv), bht = be.zeros(1, model.nh);      // (1, nv), (1, nh): bv(t), bh(t)
        Tensor v = be.zeros(1, nv), vp = be.zeros(1, nv);               // (1, nv): v(t) and P(v(t) | h) of the last step
        model.recurrence.start(u);
        for (int t = 0; t < total; t++) {
            if (t >= p) {
                be.gemm(bvt, u, false, model.Wuv, false, 1f, 0f);          // (1)
                be.addRowVector(bvt, bvt, model.bv);
                be.gemm(bht, u, false, model.Wuh, false, 1f, 0f);          // (2)
                be.addRowVector(bht, bht, model.bh);
                if (!fromPrevious) be.fill(v, 0f);
                be.gibbsChain(v, vp, model.W, bvt, bht, k, g);
                be.copyToHost(out, t * nv, v);
                be.copyToHost(prob, t * nv, vp);
            } else {
                be.copyFromHost(v, out, t * nv);
            }
            model.recurrence.step(v, u, u);                              // (3), or the LSTM
        }
        return new Generated(PianoRoll.fromFloats(out, total, PianoRoll.DEFAULT_LOWEST, nv), prob);
    }

    // ---------------------------------------------------------------- evaluation

    /**
     * The paper's protocol over every frame of {@code rolls} as one flat list (longer sequences weigh more):
     * log P(v(t) | v(<t)) = -F_t(v(t)) - log Z_t with log Z_t by AIS ({@code runs} chains per frame, {@code schedule},
     * base rate from the split's note frequencies); accuracy from the note marginals P(v_j(t) = 1 | v(<t)) estimated
     * as the mean of P(v | h) over {@code samples} Gibbs steps after {@code burnIn} from the previous frame (see {@link ChainStart}), and from the state
     * of the last of those steps (a sampled prediction), and from the most probable frame the chain visited among
     * those samples (the mode prediction: P(v | v(<t)) = exp(-F_t(v)) / Z_t with one Z_t per frame, so the visited state of
     * least free energy is the most probable one; no AIS needed). With AIS, also the accuracies of the marginals that
     * its runs' weighted end states estimate (thresholded and expected): they do not depend on where a chain starts,
     * which the Gibbs marginals of a slowly mixing model do. Draws: Philox stream (seed, 6). With {@code runs} = 0 no
     * log-likelihood is computed (NaN): accuracies only, and the AIS accuracies are NaN.
     */
    public Evaluation evaluate(List<PianoRoll> rolls, int runs, Ais.Schedule schedule, int burnIn, int samples, long seed,
                               IntConsumer progress) {
        return evaluate(rolls, runs, schedule, burnIn, samples, ChainStart.PREVIOUS, seed, progress);
    }

    /**
     * Where the accuracy's Gibbs chains start for frame t. {@link #PREVIOUS} is the prediction: v(t-1) is known when
     * v(t) is predicted. {@link #ZEROS} is a prediction too, but a trained model's peaked conditionals keep such chains
     * near silence. {@link #TRUE_FRAME} starts at the answer v(t) itself: not a prediction, a diagnostic of what a
     * short chain near the data scores (how far the model's conditionals hold the true frame).
     */
    public enum ChainStart { PREVIOUS, ZEROS, TRUE_FRAME }

    /**
     * Chains per batch of {@link #evaluate}'s default: 1, i.e. one sequence per batch, the fastest on a CPU (a tune's
     * chains stay in cache: 10 Nottingham test tunes at 100 runs took 67 s so and 87 s as one batch, 2 cores). A GPU
     * wants the whole split in one batch (Nottingham's test split at 100 runs: 4,446,300 chains, ~20 GB).
     */
    public static final int DEFAULT_BATCH_CHAINS = 1;

    /** {@link #evaluate(List, int, Ais.Schedule, int, int, long, IntConsumer)} with the chains started at {@code chainStart}. */
    public Evaluation evaluate(List<PianoRoll> rolls, int runs, Ais.Schedule schedule, int burnIn, int samples,
                               ChainStart chainStart, long seed, IntConsumer progress) {
        return evaluate(rolls, runs, schedule, burnIn, samples, chainStart, DEFAULT_BATCH_CHAINS, seed, progress);
    }

    /**
     * As above, with consecutive sequences evaluated together as one batch of conditionals, as many as keep
     * frames x max(runs, 1) within {@code batchChains} (at least one sequence): one AIS run and one set of Gibbs chains
     * per batch instead of per sequence, the same estimates (every conditional has its own rows), the draws shared out
     * differently (a batch of one sequence draws what the per-sequence loop drew).
     */
    public Evaluation evaluate(List<PianoRoll> rolls, int runs, Ais.Schedule schedule, int burnIn, int samples,
                               ChainStart chainStart, int batchChains, long seed, IntConsumer progress) {
        if (batchChains < 1) throw new IllegalArgumentException("evaluate: batchChains must be >= 1, got " + batchChains);
        Rng g = new Rng(seed, 6);
        int nv = model.nv;
        List<float[]> all = new ArrayList<>();
        long count = 0;
        for (PianoRoll r : rolls) {
            all.add(r.toFloats());
            count += r.frames();
        }
        float[] flat = new float[Math.toIntExact(count * nv)];
        int at = 0;
        for (float[] a : all) {
            System.arraycopy(a, 0, flat, at, a.length);
            at += a.length;
        }
        Tensor base = runs > 0 ? Ais.baseRateBiases(be, be.of(flat, Math.toIntExact(count), nv)) : null;
        double sum = 0, sumSq = 0, aisVar = 0;
        // accuracies of the Gibbs marginals thresholded and expected, of one sample, of the mode; of the AIS marginals
        FrameAccuracy acc = new FrameAccuracy(), expected = new FrameAccuracy(), sampled = new FrameAccuracy(),
                modeAcc = new FrameAccuracy(), aisAcc = new FrameAccuracy(), aisExpected = new FrameAccuracy();
        int nh = model.nh, done = 0;                                     // rows of flat evaluated so far
        for (int first = 0, next; first < rolls.size(); first = next) {
            // the batch: sequences [first, next), their frames one after another, each with its own bv(t), bh(t)
            long rows = 0;
            next = first;
            while (next < rolls.size() && (next == first || (rows + rolls.get(next).frames()) * Math.max(runs, 1) <= batchChains)) {
                rows += rolls.get(next++).frames();
            }
            int steps = Math.toIntExact(rows);
            float[] x = java.util.Arrays.copyOfRange(flat, done * nv, (done + steps) * nv);
            done += steps;
            if (steps == 0) continue;
            Tensor bvt = be.zeros(steps, nv), bht = be.zeros(steps, nh);
            for (int s = first, row = 0; s < next; s++) {
                int n = rolls.get(s).frames();
                if (n == 0) continue;
                model.forward(be.of(all.get(s), n, nv), n);
                be.copy(bvt.slice(row, row + n), model.visibleBiases(n));
                be.copy(bht.slice(row, row + n), model.hiddenBiases(n));
                row += n;
            }
            Tensor v = be.of(x, steps, nv);
            Tensor f = be.zeros(steps);
            be.freeEnergy(f, v, model.W, bvt, bht);
            float[] fe = be.toArray(f);
            if (runs > 0) {
                float[] aisP = new float[x.length];
                Ais.Estimate[] z = Ais.logZ(be, model.W, bvt, bht, base, runs, schedule, g, aisP);
                for (int t = 0; t < steps; t++) {
                    double ll = -fe[t] - z[t].logZ();
                    sum += ll;
                    sumSq += ll * ll;
                    aisVar += z[t].stdErr() * z[t].stdErr();
                }
                // the same runs' weighted end states give marginals that need no Gibbs chain to mix (see Ais)
                for (int i = 0; i < x.length; i++) {
                    aisAcc.add(aisP[i] > 0.5, x[i]);
                    aisExpected.addExpected(aisP[i], x[i]);
                }
            }
            // marginals: mean of P(v | h) over Gibbs steps with each frame's biases, each chain started (by default) at
            // the previous (true, known) frame v(t-1), zeros for t = 1: a trained model's conditionals are peaked, and chains from
            // zeros stay near silence for hundreds of steps (Nottingham, run D: 45 % thresholded ACC after 20 + 50
            // steps from zeros, 63 % after 1000 + 1000)
            float[] start = switch (chainStart) {
                case PREVIOUS -> {                                           // v(t-1), zeros at each sequence's start
                    float[] a = new float[x.length];
                    for (int s = first, row = 0; s < next; row += rolls.get(s++).frames()) {
                        int n = rolls.get(s).frames();
                        if (n > 1) System.arraycopy(x, row * nv, a, (row + 1) * nv, (n - 1) * nv);
                    }
                    yield a;
                }
                case ZEROS -> new float[x.length];
                case TRUE_FRAME -> x.clone();
            };
            Tensor chain = be.of(start, steps, nv), vp = be.zeros(steps, nv), mean = be.zeros(steps, nv);
            if (burnIn > 0) be.gibbsChain(chain, vp, model.W, bvt, bht, burnIn, g);
            // the mode prediction: per frame, the sampled state of least free energy F_t (ties: the earliest)
            float[] mode = new float[x.length], modeF = new float[steps];
            java.util.Arrays.fill(modeF, Float.POSITIVE_INFINITY);
            for (int i = 0; i < samples; i++) {
                be.gibbsChain(chain, vp, model.W, bvt, bht, 1, g);
                be.axpy(mean, vp, 1f / samples);
                be.freeEnergy(f, chain, model.W, bvt, bht);
                float[] fc = be.toArray(f);
                float[] state = null;
                for (int t = 0; t < steps; t++) {
                    if (!(fc[t] < modeF[t])) continue;
                    if (state == null) state = be.toArray(chain);
                    modeF[t] = fc[t];
                    System.arraycopy(state, t * nv, mode, t * nv, nv);
                }
            }
            float[] p = be.toArray(mean), smp = be.toArray(chain);
            for (int i = 0; i < p.length; i++) {
                acc.add(p[i] > 0.5, x[i]);
                sampled.add(smp[i] > 0.5, x[i]);
                modeAcc.add(mode[i] > 0.5, x[i]);
                expected.addExpected(p[i], x[i]);
            }
            if (progress != null) progress.accept(steps);
        }
        double mean = runs > 0 ? sum / count : Double.NaN, var = Math.max(sumSq / count - mean * mean, 0);
        return new Evaluation(count, mean, Math.sqrt(var / count), Math.sqrt(aisVar) / count,
                expected.value(), acc.value(), sampled.value(), modeAcc.value(),
                runs > 0 ? aisExpected.value() : Double.NaN, runs > 0 ? aisAcc.value() : Double.NaN);
    }

    /** The expected frame-level accuracy alone (no AIS): the cheap validation monitor used during training. */
    public double accuracy(List<PianoRoll> rolls, int burnIn, int samples, long seed) {
        return evaluate(rolls, 0, null, burnIn, samples, seed, null).accExpected();
    }

    // ---------------------------------------------------------------- checkpoints

    public static final String KIND = "rnn-rbm", KIND_LSTM = "lstm-rbm";

    /** Writes the parameters, the optimizer state, the RNG position and the configuration atomically. */
    public void save(Path file, Position at, Map<String, String> extra) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(extra);
        meta.put("kind", config.kind());
        if (config.isLstm()) meta.put("lstm_layers", joined(config.lstmLayers()));
        meta.put("nv", Integer.toString(model.nv));
        meta.put("nh", Integer.toString(config.nh()));
        meta.put("nu", Integer.toString(config.nu()));
        meta.put("k", Integer.toString(config.k()));
        meta.put("chunk", Integer.toString(config.chunk()));
        meta.put("batch", Integer.toString(config.batch()));
        meta.put("optimizer", config.optimizer().name());
        meta.put("lr_rbm", Float.toString(config.lrRbm()));
        meta.put("lr_rnn", Float.toString(config.lrRnn()));
        meta.put("momentum", Float.toString(config.momentum()));
        meta.put("clip_norm", Float.toString(config.clipNorm()));
        meta.put("lr_decay", Float.toString(config.lrDecay()));
        meta.put("learn_u0", Boolean.toString(config.learnU0()));
        meta.put("pretrain_epochs", Integer.toString(config.pretrainEpochs()));
        meta.put("pretrain_rnn_epochs", Integer.toString(config.pretrainRnnEpochs()));
        meta.put("pretrain_rnn_lr", Float.toString(config.pretrainRnnLr()));
        meta.put("seed", Long.toString(config.seed()));
        meta.put("rng_block", Long.toString(rng.position()));
        meta.putAll(at.toMetadata());
        meta.put("optimizer_steps", Integer.toString(optimizer.steps()));
        Map<String, SafeTensors.F32> tensors = new LinkedHashMap<>();
        for (String name : model.names()) {
            Tensor p = model.param(name);
            tensors.put(name, new SafeTensors.F32(p.shape(), be.toArray(p)));
        }
        Tensor[] state = optimizer.state();
        for (int i = 0; i < state.length; i++) tensors.put("opt." + i, new SafeTensors.F32(state[i].shape(), be.toArray(state[i])));
        SafeTensors.write(file, meta, tensors);
    }

    public static RnnRbmTrainer load(Backend backend, SafeTensors.Contents c) {
        Map<String, String> m = c.metadata();
        if (!KIND.equals(m.get("kind")) && !KIND_LSTM.equals(m.get("kind"))) {
            throw new IllegalArgumentException("not an RNN-RBM or LSTM-RBM checkpoint (kind " + m.get("kind") + ")");
        }
        int[] layers = KIND_LSTM.equals(m.get("kind")) ? parseLayers(m.get("lstm_layers")) : new int[0];
        Config cfg = new Config(Integer.parseInt(m.get("nh")), Integer.parseInt(m.get("nu")), Integer.parseInt(m.get("k")),
                Integer.parseInt(m.get("chunk")), Optimizer.Kind.valueOf(m.get("optimizer")), Float.parseFloat(m.get("lr_rbm")),
                Float.parseFloat(m.get("lr_rnn")), Float.parseFloat(m.get("momentum")), Float.parseFloat(m.get("clip_norm")),
                Float.parseFloat(m.get("lr_decay")), Boolean.parseBoolean(m.get("learn_u0")),
                Integer.parseInt(m.get("pretrain_epochs")), Long.parseLong(m.get("seed")), layers,
                Integer.parseInt(m.getOrDefault("pretrain_rnn_epochs", "0")), Float.parseFloat(m.getOrDefault("pretrain_rnn_lr", "0.001")),
                Integer.parseInt(m.getOrDefault("batch", "1")));
        RnnRbmTrainer t = new RnnRbmTrainer(backend, cfg, Integer.parseInt(m.get("nv")));
        for (String name : t.model.names()) copyIn(backend, t.model.param(name), c, name);
        Tensor[] state = t.optimizer.state();
        for (int i = 0; i < state.length; i++) copyIn(backend, state[i], c, "opt." + i);
        t.optimizer.restoreSteps(Integer.parseInt(m.get("optimizer_steps")));
        t.rng.seek(Long.parseLong(m.get("rng_block")));
        return t;
    }

    static String joined(int[] xs) {
        StringBuilder b = new StringBuilder();
        for (int x : xs) b.append(b.isEmpty() ? "" : ",").append(x);
        return b.toString();
    }

    private static int[] parseLayers(String s) {
        if (s == null || s.isBlank()) throw new IllegalArgumentException("lstm-rbm checkpoint without lstm_layers");
        return java.util.Arrays.stream(s.split(",")).mapToInt(x -> Integer.parseInt(x.trim())).toArray();
    }

    public static Position position(SafeTensors.Contents c) {
        return Position.fromMetadata(c.metadata());
    }

    private static void copyIn(Backend be, Tensor dst, SafeTensors.Contents c, String name) {
        SafeTensors.F32 t = c.tensors().get(name);
        if (t == null) throw new IllegalArgumentException("checkpoint has no tensor " + name);
        if (t.data().length != dst.size()) {
            throw new IllegalArgumentException("checkpoint tensor " + name + " has " + t.data().length + " values, the model needs " + dst.size());
        }
        be.copyFromHost(dst, t.data(), 0);
    }
}
