package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;

/**
 * An epoch's updates whose cost and squared gradient norm stay on the backend until read: on an asynchronous
 * backend (a GPU) an update writes them to its row of a (CHECK_EVERY, 2) tensor and goes on, and the rows are read
 * with one wait every {@link #CHECK_EVERY} updates and when the epoch stops, so that no update waits for the host.
 * A check that finds a cost or norm not finite throws {@link DivergedException} naming the update, read that many
 * updates after it (the model in memory is past it: not to be saved; the last good checkpoint stands).
 */
public final class PendingCosts {
    /** Updates whose scalars wait on the device before they are read. */
    public static final int CHECK_EVERY = 256;

    private final Backend be;
    private final Tensor scalars;
    private final String model, hint;
    private final int epoch;
    private final int[] index = new int[CHECK_EVERY], n = new int[CHECK_EVERY];
    private int count;
    private double total;
    private long frames;

    /**
     * From {@code from} (its cost so far); scalars (CHECK_EVERY, 2) a tensor of the caller's, kept across epochs;
     * model and hint name the model and the remedy in the message of a divergence.
     */
    public PendingCosts(Backend be, Tensor scalars, String model, String hint, Position from) {
        this.be = be;
        this.scalars = scalars;
        this.model = model;
        this.hint = hint;
        total = from.costSum();
        frames = from.frames();
        epoch = from.epoch();
    }

    /** A tensor for the scalars of CHECK_EVERY updates. */
    public static Tensor scalars(Backend be) {
        return be.zeros(CHECK_EVERY, 2);
    }

    /** Takes update i of {@code frames} frames; returns its row (2): cost per frame, squared gradient norm. */
    public Tensor add(int i, int frames) {
        if (count == CHECK_EVERY) check();
        index[count] = i;
        n[count] = frames;
        return scalars.at(count++);
    }

    /** Reads the pending rows (one wait), checks them in order and adds their costs to the epoch's. */
    public void check() {
        if (count == 0) return;
        float[] c = be.toArray(scalars.slice(0, count));
        for (int k = 0; k < count; k++) {
            double cost = c[2 * k], norm2 = c[2 * k + 1];
            String later = count - 1 - k == 0 ? "" : " (read " + (count - 1 - k) + " updates later, the model in memory is past it)";
            DivergedException.check(model, cost, norm2, "update " + index[k] + " of epoch " + epoch + later, hint);
            total += cost * n[k];
            frames += n[k];
        }
        count = 0;
    }

    /** The epoch's cost so far over the rows read (the sum of cost x frames) and their frames. */
    public double costSum() { return total; }

    public long frames() { return frames; }

    /** The mean cost per frame of the rows read. */
    public double meanCost() { return total / Math.max(frames, 1); }
}
