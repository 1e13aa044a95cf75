package dev.tessitura.model.baseline;

import java.util.Map;

/**
 * A baseline's trained state: for frame t of a roll, the probability of each note given the frames before it, the
 * notes independent given them; its tensors are what a checkpoint holds of it.
 */
interface NoteTable {
    /** p (n) = P(v_j(t) = 1 | v(&lt;t)) for frame t of roll (frames of n notes, row-major). */
    void predict(float[] roll, int t, int n, double[] p);

    /** The tensors a checkpoint stores, by name (float32, each at most 2^31 - 9 values). */
    Map<String, float[]> tensors();

    /** One line: what was counted. */
    String describe();
}
