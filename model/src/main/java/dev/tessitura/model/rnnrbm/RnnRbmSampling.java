package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import java.util.function.IntConsumer;

/** Composing with a trained RNN-RBM (or LSTM-RBM); the frame-by-frame loop is shared with the RNN-NADE. */
public final class RnnRbmSampling {
    private RnnRbmSampling() {}

    /** A generated piece and, per frame, the visible probabilities of the last Gibbs step (for a heat map). */
    public record Generated(PianoRoll roll, float[] probabilities) {}

    /** Draws frame v(t) (1, nv) and its note probabilities vp (1, nv) given its biases bv(t) (1, nv), bh(t) (1, nh). */
    @FunctionalInterface
    public interface FrameDraw {
        void draw(Tensor v, Tensor vp, Tensor bvt, Tensor bht);
    }

    /**
     * Generation as in the paper: per step, a Gibbs chain of k steps with that step's biases bv(t), bh(t), from zeros
     * (or from the previous frame), then the recurrence. With a primer, the recurrence first reads its frames, which
     * begin the result. Draws come from Philox stream (seed, 5).
     */
    public static Generated generate(Backend be, RnnRbm model, PianoRoll primer, int steps, int k, boolean fromPrevious, long seed) {
        return generate(be, model, primer, steps, k, fromPrevious, seed, null);
    }

    /** As above, telling {@code progress} of every generated frame. */
    public static Generated generate(Backend be, RnnRbm model, PianoRoll primer, int steps, int k, boolean fromPrevious, long seed,
                                     IntConsumer progress) {
        Rng g = new Rng(seed, 5);
        return generate(be, model.biases, primer, steps, (v, vp, bvt, bht) -> {
            if (!fromPrevious) be.fill(v, 0f);
            be.gibbsChain(v, vp, model.W, bvt, bht, k, g);
        }, progress);
    }

    /**
     * Frame by frame: the biases bv(t), bh(t) from u(t-1) (1), (2), a frame drawn by {@code draw} with them, then the
     * recurrence reads it. With a primer, the recurrence first reads its frames, which begin the result (their
     * probabilities are the frames themselves). The RNN-RBM's and the RNN-NADE's generation, which differ in the draw.
     * {@code progress} (or null) hears of every generated frame.
     */
    public static Generated generate(Backend be, TimeBiases biases, PianoRoll primer, int steps, FrameDraw draw, IntConsumer progress) {
        int nv = biases.nv(), p = primer == null ? 0 : primer.frames(), total = p + steps;
        float[] out = new float[total * nv], prob = new float[total * nv];
        if (p > 0) {
            float[] a = primer.toFloats();
            System.arraycopy(a, 0, out, 0, a.length);
            System.arraycopy(a, 0, prob, 0, a.length);
        }
        Tensor u = be.zeros(1, biases.nu());                             // (1, nu): u(t-1)
        Tensor bvt = be.zeros(1, nv), bht = be.zeros(1, biases.nh());    // (1, nv), (1, nh): bv(t), bh(t)
        Tensor v = be.zeros(1, nv), vp = be.zeros(1, nv);                // (1, nv): v(t) and its probabilities
        biases.recurrence.start(u);
        for (int t = 0; t < total; t++) {
            if (t >= p) {
                biases.step(u, bvt, bht);                                // (1), (2)
                draw.draw(v, vp, bvt, bht);
                be.copyToHost(out, t * nv, v);
                be.copyToHost(prob, t * nv, vp);
                if (progress != null) progress.accept(1);
            } else {
                be.copyFromHost(v, out, t * nv);
            }
            biases.recurrence.step(v, u, u);                             // (3), or the LSTM
        }
        return new Generated(PianoRoll.fromFloats(out, total, PianoRoll.DEFAULT_LOWEST, nv), prob);
    }
}
