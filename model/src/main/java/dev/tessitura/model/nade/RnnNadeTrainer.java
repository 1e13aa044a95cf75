package dev.tessitura.model.nade;

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
 * Trains an {@link RnnNade} as the RNN-RBM is trained: every sequence cut into chunks of T frames, each from u(0) = 0,
 * B chunks of one length per update ({@link Chunks}), the sequences shuffled every epoch; the exact gradient of the
 * mean negative log-likelihood per frame; SGD, momentum, Nesterov, RMSprop or Adam with one learning rate for the NADE
 * part and one for the RNN part, gradient-norm clipping, a learning-rate decay per epoch. Before the first epoch,
 * optionally, NADE pretraining ({@link NadeFrames} on the model's W, V, bv, bh) or RNN pretraining (the RNN as a
 * next-frame predictor, {@link RnnNade#predictorCostAndGradients}), both with their own Adam.
 *
 * <p>Random numbers: initial weights from Philox stream (seed, 0), the epoch's order from stream (seed, 1), NADE
 * pretraining's frame order from (seed, 4), RNN pretraining's chunk order from (seed, 8); with --dropout each update's
 * masks from stream (seed, 3), as note-lstm's, one draw of T B nu after another, whose position the checkpoint keeps
 * (rng_block). With these a checkpoint's position is all a resumed run needs to go on exactly.
 */
public final class RnnNadeTrainer {
    private final Backend be;
    private final RnnNadeConfig config;
    public final RnnNade model;
    public final Optimizer optimizer;
    private Optimizer pretraining;               // Adam of either pretraining, its moments kept across its epochs
    private NadeFrames frames;                   // NADE pretraining
    private StackedFrames stacked;               // the training rolls' frames, once per run
    private Chunks.Gathers gathers;              // B > 1: each update's rows, kept across epochs
    private Tensor batchV, scalars;              // (T B, nv): a gathered update; PendingCosts' rows
    /** Dropout's draws: Philox stream (seed, 3), its position saved in checkpoints. */
    public final Rng rng;
    private Tensor keep, mask;                   // (T B, nu): the keep probability 1 - P; an update's multipliers m(t)

    public RnnNadeTrainer(Backend backend, RnnNadeConfig config, int nv) {
        this.be = backend;
        this.config = config;
        this.model = config.isLstm() ? new RnnNade(backend, nv, config.nh(), config.lstmLayers(), config.skip())
                : new RnnNade(backend, nv, config.nh(), config.nu());
        model.init(config.seed());
        this.rng = new Rng(config.seed(), 3);
        this.optimizer = new Optimizer(backend, config.optimizer(), model.params, config.momentum());
    }

    public RnnNadeConfig config() { return config; }

    public long framesPerEpoch(List<PianoRoll> rolls) {
        return NadeFrames.frames(rolls);
    }

    private StackedFrames.Stack stacked(List<PianoRoll> rolls) {
        if (stacked == null) stacked = new StackedFrames(be, model.nv, 0);
        return stacked.of(rolls);
    }

    /** One whole epoch; returns the mean cost per frame. */
    public double trainEpoch(List<PianoRoll> rolls, int epoch, IntConsumer progress) {
        return trainEpoch(rolls, Position.start(epoch), () -> false, progress).meanCost();
    }

    /**
     * Trains from {@code from} to the end of its epoch, or until {@code stop} says so between updates. Throws
     * {@link DivergedException} when an update's cost or gradient is not finite: before its step on a CPU backend, up
     * to {@link PendingCosts#CHECK_EVERY} updates later on an asynchronous one (the model in memory then past it: not
     * to be saved). The frames are on the backend once: with B = 1 a chunk is a view of them, with B > 1 an update's
     * chunks are gathered from them.
     */
    public EpochResult trainEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress) {
        List<List<int[]>> updates = Chunks.batches(Chunks.of(rolls, config.seed(), 1, from.epoch(), config.chunk()), config.batch());
        float decay = (float) Math.pow(config.lrDecay(), from.epoch());
        if (scalars == null) scalars = PendingCosts.scalars(be);
        PendingCosts pending = new PendingCosts(be, scalars, config.kind(), "try a smaller learning rate or --clip-norm", from);
        StackedFrames.Stack s = stacked(rolls);
        if (config.batch() > 1 && gathers == null) {
            gathers = new Chunks.Gathers(be, config.kind());
            batchV = be.zeros(config.chunk() * config.batch(), model.nv);
        }
        Chunks.Gathers gathered = config.batch() > 1 ? gathers.epoch(s, updates) : null;
        for (int i = from.index(); i < updates.size(); i++) {
            if (i > from.index() && stop.getAsBoolean()) {
                pending.check();
                return new EpochResult(pending.meanCost(), new Position(from.epoch(), i, pending.costSum(), pending.frames()), false);
            }
            List<int[]> group = updates.get(i);
            int[] c = group.get(0);
            int n = c[2] * group.size();
            Tensor v = gathered == null ? s.rows(c[0], c[1], c[2]) : gathered.update(i, batchV);
            update(v, c[2], group.size(), decay, pending.add(i, n));
            if (progress != null) progress.accept(n);
        }
        pending.check();
        return EpochResult.completed(from.epoch(), updates.size(), pending.costSum(), pending.frames());
    }

    /** One update on B chunks v (T B, nv), time-major; returns the cost per frame (waits for it). */
    public double step(Tensor v, int steps, int batch, float decay) {
        if (scalars == null) scalars = PendingCosts.scalars(be);
        PendingCosts p = new PendingCosts(be, scalars, config.kind(), "try a smaller learning rate or --clip-norm", Position.start(0));
        update(v, steps, batch, decay, p.add(0, steps * batch));
        p.check();
        return p.meanCost();
    }

    /** One update; its cost and squared gradient norm go to {@code slot} (2). */
    private void update(Tensor v, int steps, int batch, float decay, Tensor slot) {
        model.forward(v, steps, batch, dropoutMask(steps * batch));
        model.zeroGrads();
        model.costAndGradients(v, steps, slot.view(0, 1));
        NadeFrames.normAndClip(be, model.grads, slot, config.clipNorm(), config.kind());
        optimizer.begin();
        long[] nade = model.nadeBlock(), rnn = model.rnnBlock();
        optimizer.apply(model.params, model.grads, nade[0], (int) nade[1], config.lrNade() * decay);
        optimizer.apply(model.params, model.grads, rnn[0], (int) rnn[1], config.lrRnn() * decay);
    }

    /**
     * With --dropout P, the multipliers m (rows, nu) of an update: 1 / (1 - P) with probability 1 - P, else 0, one
     * draw from {@link #rng}; null without dropout (nothing drawn).
     */
    Tensor dropoutMask(int rows) {
        float p = config.dropout();
        if (p == 0) return null;
        if (mask == null || mask.dim(0) < rows) {
            mask = be.zeros(rows, model.nu);
            keep = be.zeros(rows, model.nu);
            be.fill(keep, 1 - p);
        }
        Tensor m = mask.slice(0, rows);
        be.bernoulli(m, keep.slice(0, rows), rng);
        be.scale(m, 1f / (1 - p));
        return m;
    }

    /** The exact negative log-likelihood per frame over whole sequences (each from u(0) = 0), one flat average. */
    public double nll(List<PianoRoll> rolls) {
        double sum = 0;
        long n = 0;
        for (PianoRoll r : rolls) {
            if (r.frames() == 0) continue;
            Tensor v = be.of(r.toFloats(), r.frames(), model.nv);
            model.forward(v, r.frames(), 1);
            sum -= be.sum(model.logLikelihoods(v, r.frames()));
            n += r.frames();
        }
        return sum / Math.max(n, 1);
    }

    // ---------------------------------------------------------------- pretraining

    /** Both pretrainings' Adam (one of them runs), over the whole parameter tensor. */
    Optimizer pretrainingOptimizer() {
        if (pretraining == null) pretraining = new Optimizer(be, Optimizer.Kind.ADAM, model.params, 0f);
        return pretraining;
    }

    /** One epoch of NADE pretraining from {@code from}: W, V, bv, bh as a plain NADE on shuffled frames, 100 per update. */
    EpochResult pretrainNadeEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress) {
        if (frames == null) {
            frames = new NadeFrames(be, config.kind(), model.nade, model.params, model.grads, model.nadeBlock(), 100, config.seed(), 4,
                    config.clipNorm());
        }
        return frames.trainEpoch(rolls, from, stop, progress, pretrainingOptimizer(), config.pretrainLr());
    }

    /** The NADE part's exact negative log-likelihood per frame as a plain NADE (NADE pretraining's monitor). */
    double nadeNll(List<PianoRoll> rolls) {
        return frames.nll(rolls);
    }

    /**
     * One epoch of RNN pretraining from {@code from}: the RNN as a next-frame predictor (the RNN-NADE with V = 0), one
     * chunk per update in a shuffle from stream (seed, 8), Adam.
     */
    EpochResult pretrainRnnEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress) {
        List<int[]> chunks = Chunks.of(rolls, config.seed(), 8, from.epoch(), config.chunk());
        if (scalars == null) scalars = PendingCosts.scalars(be);
        PendingCosts pending = new PendingCosts(be, scalars, config.kind(), "try a smaller --pretrain-lr", from);
        StackedFrames.Stack s = stacked(rolls);
        for (int i = from.index(); i < chunks.size(); i++) {
            if (i > from.index() && stop.getAsBoolean()) {
                pending.check();
                return new EpochResult(pending.meanCost(), new Position(from.epoch(), i, pending.costSum(), pending.frames()), false);
            }
            int[] c = chunks.get(i);
            Tensor v = s.rows(c[0], c[1], c[2]), slot = pending.add(i, c[2]);
            model.forward(v, c[2], 1);
            model.zeroGrads();
            model.predictorCostAndGradients(v, c[2], slot.view(0, 1));
            NadeFrames.normAndClip(be, model.grads, slot, config.clipNorm(), config.kind());
            pretrainingOptimizer().begin();
            pretraining.apply(model.params, model.grads, 0, Math.toIntExact(model.params.size()), config.pretrainLr());
            if (progress != null) progress.accept(c[2]);
        }
        pending.check();
        return EpochResult.completed(from.epoch(), chunks.size(), pending.costSum(), pending.frames());
    }

    // ---------------------------------------------------------------- checkpoints

    /** Writes the parameters, the optimizer's state, the configuration, the position and {@code more} atomically. */
    void save(Path file, Position at, Map<String, String> about, Map<String, String> moreMeta, Map<String, Tensor> more) throws IOException {
        Map<String, String> meta = Checkpoints.header(about, config.kind(), RnnNadeKind.of(config).settings(), config, at);
        meta.put("nv", Integer.toString(model.nv));
        if (config.dropout() > 0) meta.put("rng_block", Long.toString(rng.position()));
        meta.putAll(moreMeta);
        Checkpoints.write(file, be, meta, model.names(), model::param, optimizer, more);
    }

    public void save(Path file, Position at, Map<String, String> about) throws IOException {
        save(file, at, about, Map.of(), Map.of());
    }

    /** The trainer a checkpoint holds. */
    public static RnnNadeTrainer load(Backend backend, SafeTensors.Contents c) {
        return load(backend, c, RnnNadeKind.of(c).config(c));
    }

    /** As above, with the checkpoint's configuration {@code config} (its run settings perhaps changed). */
    public static RnnNadeTrainer load(Backend backend, SafeTensors.Contents c, RnnNadeConfig config) {
        RnnNadeTrainer t = new RnnNadeTrainer(backend, config, Checkpoints.integer(c, "nv"));
        Checkpoints.restore(backend, c, t.model.names(), t.model::param, t.optimizer);
        if (c.metadata().containsKey("rng_block")) t.rng.seek(Checkpoints.longInt(c, "rng_block"));
        return t;
    }
}
