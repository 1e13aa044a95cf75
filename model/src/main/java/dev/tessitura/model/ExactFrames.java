package dev.tessitura.model;

import dev.tessitura.engine.Rng;
import dev.tessitura.midi.PianoRoll;

/**
 * A trained autoregressive model whose frame probabilities are exact: P(v_t | v_&lt;t) sums to 1 over the 2^nv frames
 * v_t given any past. What {@link Mixture} needs of each of its members.
 */
public interface ExactFrames {
    /** Notes per frame (nv). */
    int notes();

    /** log P(v_t | v_&lt;t) of every frame t of the roll, given its true past. */
    double[] logProbs(PianoRoll roll);

    /**
     * S frames drawn from P(v_t | v_&lt;t) for every frame t of the roll given its true past, exact (ancestral) draws:
     * row t S + s of (T S, nv), 0 or 1, draws from {@code rng}.
     */
    float[] draws(PianoRoll roll, int samples, Rng rng);
}
