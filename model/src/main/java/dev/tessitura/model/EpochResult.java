package dev.tessitura.model;

/**
 * What a (possibly interrupted) pass over an epoch did: the mean cost per frame so far, where it stopped (the next
 * update's index; for a completed epoch, the number of its updates, so that {@code at} is the epoch trained but not
 * yet validated), and whether it ended.
 */
public record EpochResult(double meanCost, Position at, boolean completed) {
    /** A completed epoch of {@code updates} updates, its cost summed over {@code frames} frames. */
    public static EpochResult completed(int epoch, int updates, double costSum, long frames) {
        return new EpochResult(costSum / Math.max(frames, 1), new Position(epoch, updates, costSum, frames), true);
    }

    /** Where training goes on: the next update of this epoch, or the start of the next epoch. */
    public Position next() {
        return completed ? Position.start(at.epoch() + 1) : at;
    }
}
