package dev.tessitura.model;

import dev.tessitura.engine.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * A model being trained on its data, as a training run drives it ({@link dev.tessitura.model.run.TrainingRun}):
 * what comes before the first epoch, epochs that stop between updates when asked and resume from a {@link Position},
 * the validation monitor, and checkpoints.
 */
public interface Trainer {
    /** One line about the model: kind, sizes, parameters. */
    String describe();

    /** Frames (or events) one epoch trains on. */
    long framesPerEpoch();

    /**
     * Whatever a run does before its first epoch (pretraining) and has not done yet; nothing by default. Returns
     * false when {@code stop} asked to stop: {@link #save} then writes what is done, and the trainer that
     * {@link dev.tessitura.model.ModelKind#resume} makes of that checkpoint goes on from there.
     */
    default boolean beforeFirstEpoch(Report report, BooleanSupplier stop) {
        return true;
    }

    /**
     * Trains from {@code from} to the end of its epoch, or until {@code stop} says so between updates; progress gets
     * the frames of each update. Throws {@link DivergedException} on a cost or gradient that is not finite.
     */
    EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress);

    /**
     * The validation monitor after an epoch: a cost (lower is better) and an accuracy; NaN without a validation split;
     * null when {@code stop} asked to stop before it was done.
     */
    Validation validate(int epoch, BooleanSupplier stop);

    /** Every parameter, one tensor (checked before each checkpoint: none holds a broken model). */
    Tensor parameters();

    /** What {@link Validation#cost} and the training cost are, for the metrics and the curve. */
    String costName();

    /** Writes a checkpoint atomically: the model, the optimizer's state, the position and {@code about}. */
    void save(Path file, Position at, Map<String, String> about) throws IOException;

    /** The validation monitor's figures. */
    record Validation(double cost, double accuracy) {
        public static final Validation NONE = new Validation(Double.NaN, Double.NaN);
    }
}
