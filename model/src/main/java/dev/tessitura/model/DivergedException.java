package dev.tessitura.model;

/**
 * Training produced a NaN or an infinity (in the cost, the gradients or the weights), or blew up (a cost or weights
 * far beyond any sane run): the run stops, and the last good checkpoint stands.
 */
public final class DivergedException extends RuntimeException {
    /**
     * The largest cost per frame (or event) in nats that a run may report: a model that predicts every one of 88 notes
     * wrongly with certainty e^-100 costs 8,800; beyond this a run has blown up, not learnt badly.
     */
    public static final double COST_LIMIT = 1e7;

    /** The largest root-mean-square weight a run may reach (trained RBMs and LSTMs stay within units to tens). */
    public static final double WEIGHT_RMS_LIMIT = 1e4;

    public DivergedException(String message) {
        super(message);
    }

    /**
     * Throws unless an update's cost (per frame) and squared gradient norm are finite and the cost is within
     * {@link #COST_LIMIT}. {@code where} names the update ("update 3 of epoch 0"), or is null; hint says what to try.
     */
    public static void check(String model, double cost, double norm2, String where, String hint) {
        String at = where == null ? "" : where + ": ";
        if (!Double.isFinite(cost) || !Double.isFinite(norm2)) {
            throw new DivergedException(model + ": the cost or the gradient is not finite (" + at + "cost " + cost
                    + ", squared gradient norm " + norm2 + "); " + hint);
        }
        if (Math.abs(cost) > COST_LIMIT) {
            throw new DivergedException(model + ": the cost blew up (" + at + "cost " + cost + " per frame, beyond " + COST_LIMIT
                    + "); " + hint);
        }
    }

    /**
     * Throws unless the parameters' sum of squares over n values is finite and their root mean square within
     * {@link #WEIGHT_RMS_LIMIT}: checked before a checkpoint is written, so that none holds a broken model.
     */
    public static void checkWeights(String model, double sumOfSquares, long n, String when) {
        double rms = Math.sqrt(sumOfSquares / Math.max(n, 1));
        if (!Double.isFinite(sumOfSquares)) {
            throw new DivergedException(model + ": the weights are not finite " + when + "; try a smaller learning rate");
        }
        if (rms > WEIGHT_RMS_LIMIT) {
            throw new DivergedException(model + ": the weights blew up " + when + " (root mean square " + rms + ", beyond "
                    + WEIGHT_RMS_LIMIT + "); try a smaller learning rate");
        }
    }
}
