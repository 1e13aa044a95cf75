package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Chunks;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.PendingCosts;
import dev.tessitura.model.Position;
import dev.tessitura.model.StackedFrames;
import dev.tessitura.model.io.Checkpoints;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Trains an {@link RnnRbm} as in the paper and the deeplearning.net tutorial: every sequence
 * is cut into chunks of at most 100 frames, each chunk starts from u(0), gets one CD-k negative phase for all its
 * frames and one update; sequences are shuffled every epoch. The tutorial's improvements are options: RBM
 * pretraining, Nesterov momentum, gradient-norm clipping, separate learning rates for the RBM and RNN parts, a
 * learning-rate decay per epoch, a learned u(0) (early stopping is the CLI's --patience). Batched mode
 * ({@link RnnRbmConfig#batch} B > 1) trains B chunks of the same length per update, as one batch through every op (one
 * Gibbs chain over all their frames, the gradient the mean over them): the paper's cost, B times fewer updates.
 *
 * <p>Random numbers: initial weights from Philox stream (seed, 0), the epoch's order from stream (seed, 1), Gibbs
 * sampling from the {@link Rng} (seed, 3), whose position a checkpoint stores: a resumed run draws what an
 * uninterrupted one would. Pretraining is {@link RnnRbmPretraining}'s, sampling {@link RnnRbmSampling}'s, evaluation
 * {@link dev.tessitura.model.rbm.ConditionalRbmEvaluation}'s.
 */
public final class RnnRbmTrainer {
    private final Backend be;
    private final RnnRbmConfig config;
    public final RnnRbm model;
    public final Optimizer optimizer;
    public final Rng rng;

    public RnnRbmTrainer(Backend backend, RnnRbmConfig config, int nv) {
        this.be = backend;
        this.config = config;
        this.model = config.isLstm() ? new RnnRbm(backend, nv, config.nh(), config.lstmLayers())
                : config.rtrbm() ? RnnRbm.rtrbm(backend, nv, config.nh()) : new RnnRbm(backend, nv, config.nh(), config.nu());
        model.learnU0(config.learnU0());
        model.initTutorial(config.seed());
        this.optimizer = new Optimizer(backend, config.optimizer(), model.params, config.momentum());
        this.rng = new Rng(config.seed(), 3);
    }

    public RnnRbmConfig config() { return config; }

    /** The chunks of an epoch, in a Philox shuffle of the sequences for (seed, epoch): {sequence, first frame, length}. */
    List<int[]> chunks(List<PianoRoll> rolls, int epoch) {
        return chunks(rolls, 1, epoch);
    }

    /** As above with the shuffle drawn from Philox stream (seed, stream). */
    List<int[]> chunks(List<PianoRoll> rolls, int stream, int epoch) {
        return Chunks.of(rolls, config.seed(), stream, epoch, config.chunk());
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
        List<List<int[]>> updates = Chunks.batches(chunks(rolls, from.epoch()), config.batch());
        float decay = (float) Math.pow(config.lrDecay(), from.epoch());
        PendingCosts pending = pending(from);
        StackedFrames.Stack frames = stacked(rolls);
        if (config.batch() > 1 && gathers == null) gathers = new Chunks.Gathers(be, "rnn-rbm");
        Chunks.Gathers gathered = config.batch() > 1 ? gathers.epoch(frames, updates) : null;
        try (Recorded recorded = recordable() ? new Recorded(decay) : null) {
            for (int i = from.index(); i < updates.size(); i++) {
                if (i > from.index() && stop.getAsBoolean()) {
                    pending.check();
                    return new EpochResult(pending.meanCost(), new Position(from.epoch(), i, pending.costSum(), pending.frames()), false);
                }
                List<int[]> group = updates.get(i);
                int steps = group.get(0)[2], n = steps * group.size();
                int[] c = group.get(0);
                Tensor v = gathered == null ? frames.rows(c[0], c[1], c[2]) : gathered.update(i, batchV());
                if (recorded != null && steps == config.chunk() && group.size() == config.batch()) recorded.update(v, pending.add(i, n));
                else update(v, steps, group.size(), decay, pending.add(i, n));
                if (progress != null) progress.accept(n);
            }
        }
        pending.check();
        return EpochResult.completed(from.epoch(), updates.size(), pending.costSum(), pending.frames());
    }

    private Tensor recordedChunk, recordedSlot;   // a recorded update's fixed input and cost row, kept across epochs
    private boolean unrecordable;                 // recording failed once: the backend cannot capture these updates
    private Chunks.Gathers gathers;               // the rows each update of a B > 1 epoch gathers, kept across epochs

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

    StackedFrames.Stack stacked(List<PianoRoll> rolls) {
        if (stacked == null) stacked = new StackedFrames(be, model.nv, 0);
        return stacked.of(rolls);
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

    /** The gradient's squared norm, after checking that it and the cost are finite. */
    double gradientNorm2(double cost) {
        double norm2 = be.sumOfSquares(model.grads);
        DivergedException.check("rnn-rbm", cost, norm2, null, "try a smaller learning rate or --clip-norm");
        return norm2;
    }

    // ---------------------------------------------------------------- checkpoints

    /** Writes the parameters, the optimizer state, the RNG position and the configuration atomically. */
    public void save(Path file, Position at, Map<String, String> about) throws IOException {
        save(file, at, about, Map.of(), Map.of());
    }

    /** As above, with more header entries and tensors (an unfinished pretraining's state). */
    void save(Path file, Position at, Map<String, String> about, Map<String, String> moreMeta, Map<String, Tensor> more) throws IOException {
        Map<String, String> meta = Checkpoints.header(about, config.kind(), RnnRbmKind.of(config).settings(), config, at);
        meta.put("nv", Integer.toString(model.nv));
        meta.put("rng_block", Long.toString(rng.position()));
        meta.putAll(moreMeta);
        Checkpoints.write(file, be, meta, List.of(model.names()), model::param, optimizer, more);
    }

    /** The trainer a checkpoint of {@link #save} holds: its configuration, parameters, optimizer state and Rng position. */
    public static RnnRbmTrainer load(Backend backend, SafeTensors.Contents c) {
        return load(backend, c, RnnRbmKind.of(c).config(c));
    }

    /** As above, with the checkpoint's configuration {@code config} (its run settings perhaps changed). */
    public static RnnRbmTrainer load(Backend backend, SafeTensors.Contents c, RnnRbmConfig config) {
        RnnRbmKind.of(c);
        RnnRbmTrainer t = new RnnRbmTrainer(backend, config, Checkpoints.integer(c, "nv"));
        Checkpoints.restore(backend, c, List.of(t.model.names()), t.model::param, t.optimizer);
        t.rng.seek(Checkpoints.longInt(c, "rng_block"));
        return t;
    }
}
