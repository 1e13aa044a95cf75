package dev.tessitura.model;

import dev.tessitura.engine.Philox;

/** A reproducible order: Fisher-Yates driven by Philox uniforms, the same on every backend and machine. */
public final class Shuffle {
    private Shuffle() {}

    /** 0..count-1 shuffled by the uniforms of Philox stream (seed, stream) from block firstBlock. */
    public static int[] order(int count, long seed, long stream, long firstBlock) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) order[i] = i;
        float[] u = new float[Math.max(count, 1)];
        Philox.uniforms(seed, stream, firstBlock, u, 0, count);
        for (int i = count - 1; i > 0; i--) {
            int j = Math.min(i, (int) (u[i] * (i + 1)));
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
