package dev.tessitura.model.nade;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Philox;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.PendingCosts;
import dev.tessitura.model.Position;
import dev.tessitura.model.StackedFrames;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Trains a {@link Nade} alone on the frames of a training set, each frame independent of the others (shared biases bv,
 * bh): minibatches of B frames in a Philox shuffle of all the frames per epoch, the exact gradient of the mean
 * negative log-likelihood, one step of an {@link Optimizer} on the NADE's block of the parameter tensor per minibatch.
 * The paper's "NADE" row (the {@code nade} model), and the RNN-NADE's NADE pretraining (its W, V, bv, bh as a plain NADE).
 * The frames are on the backend once; each minibatch is gathered there from the epoch's row table.
 */
public final class NadeFrames {
    private final Backend be;
    private final Nade nade;
    private final Tensor params, grads;
    private final long[] block;
    private final int batch, stream;
    private final long seed;
    private final float clipNorm;
    private final String model;
    private final StackedFrames stacked;
    private Tensor table, batchV, scalars;   // (frames) row order of the epoch; (B, nv); PendingCosts' rows

    /**
     * Over nade, whose parameters and gradients are the range block {offset, length} of params and grads; B = batch
     * frames per update, the shuffle from Philox stream (seed, stream), gradients clipped to norm clipNorm (0: never).
     */
    public NadeFrames(Backend be, String model, Nade nade, Tensor params, Tensor grads, long[] block, int batch, long seed, int stream,
                      float clipNorm) {
        this.be = be;
        this.model = model;
        this.nade = nade;
        this.params = params;
        this.grads = grads;
        this.block = block.clone();
        this.batch = batch;
        this.seed = seed;
        this.stream = stream;
        this.clipNorm = clipNorm;
        this.stacked = new StackedFrames(be, nade.nv, 0);
    }

    public static long frames(List<PianoRoll> rolls) {
        long n = 0;
        for (PianoRoll r : rolls) n += r.frames();
        return n;
    }

    /** The epoch's order of the n frames: a Philox shuffle for (seed, epoch). */
    private float[] order(int n, int epoch) {
        float[] u = new float[Math.max(n, 1)], at = new float[n];
        Philox.uniforms(seed, stream, (long) epoch << 32, u, 0, n);
        for (int i = 0; i < n; i++) at[i] = i;                          // exact: at most 2^24 rows (checked)
        for (int i = n - 1; i > 0; i--) {
            int j = Math.min(i, (int) (u[i] * (i + 1)));
            float t = at[i];
            at[i] = at[j];
            at[j] = t;
        }
        return at;
    }

    /**
     * Trains from {@code from} to the end of its epoch, or until {@code stop} says so between minibatches, at learning
     * rate lr; progress gets each minibatch's frames. Throws {@link DivergedException} on a cost or gradient that is
     * not finite (read every {@link PendingCosts#CHECK_EVERY} minibatches on an asynchronous backend).
     */
    public EpochResult trainEpoch(List<PianoRoll> rolls, Position from, BooleanSupplier stop, IntConsumer progress, Optimizer opt, float lr) {
        StackedFrames.Stack s = stacked.of(rolls);
        int n = s.frames().rows();
        if (n > 1 << 24) throw new IllegalArgumentException(model + ": more than 2^24 frames in one epoch");
        if (table == null || table.size() < n) table = be.zeros(n);
        be.copyFromHost(table.view(0, n), order(n, from.epoch()), 0);
        if (batchV == null) batchV = be.zeros(batch, nade.nv);
        if (scalars == null) scalars = PendingCosts.scalars(be);
        PendingCosts pending = new PendingCosts(be, scalars, model, "try a smaller learning rate or --clip-norm", from);
        int updates = (n + batch - 1) / batch;
        for (int i = from.index(); i < updates; i++) {
            if (i > from.index() && stop.getAsBoolean()) {
                pending.check();
                return new EpochResult(pending.meanCost(), new Position(from.epoch(), i, pending.costSum(), pending.frames()), false);
            }
            int rows = Math.min(batch, n - i * batch);
            Tensor v = batchV.slice(0, rows);
            be.gatherRows(v, s.frames(), table.view((long) i * batch, rows));
            Tensor slot = pending.add(i, rows);
            be.fill(grads, 0f);
            nade.costAndGradients(v, nade.bv, nade.bh, nade.gBv, nade.gBh, 1f / rows, slot.view(0, 1));
            normAndClip(be, grads, slot, clipNorm, model);
            opt.begin();
            opt.apply(params, grads, block[0], Math.toIntExact(block[1]), lr);
            if (progress != null) progress.accept(rows);
        }
        pending.check();
        return EpochResult.completed(from.epoch(), updates, pending.costSum(), pending.frames());
    }

    /** The mean negative log-likelihood per frame of all the rolls' frames, exact. */
    public double nll(List<PianoRoll> rolls) {
        double sum = 0;
        long frames = 0;
        for (PianoRoll r : rolls) {
            if (r.frames() == 0) continue;
            sum -= be.sum(nade.logLikelihoods(be.of(r.toFloats(), r.frames(), nade.nv), nade.bv, nade.bh));
            frames += r.frames();
        }
        return sum / Math.max(frames, 1);
    }

    /**
     * An update's squared gradient norm into slot[1] (2), after its cost in slot[0]; clipped to norm clip (0: never).
     * Read and checked on the host, unless the backend is asynchronous and nothing needs it there (no clipping): then
     * it is summed on the device and checked later by {@link PendingCosts#check}.
     */
    static void normAndClip(Backend be, Tensor grads, Tensor slot, float clip, String model) {
        if (be.asynchronous() && clip <= 0) {
            be.sumOfSquares(grads, slot.view(1, 1));
            return;
        }
        double norm2 = be.sumOfSquares(grads);
        DivergedException.check(model, be.toArray(slot.view(0, 1))[0], norm2, null, "try a smaller learning rate or --clip-norm");
        be.copyFromHost(slot.view(1, 1), new float[] {(float) Math.min(norm2, Float.MAX_VALUE)}, 0);
        double norm = Math.sqrt(norm2);
        if (clip > 0 && norm > clip) be.scale(grads, (float) (clip / norm));
    }
}
