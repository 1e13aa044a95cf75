package dev.tessitura.model.reproduce;

import dev.tessitura.model.ModelKind;
import java.nio.file.Path;
import java.util.List;

/**
 * One unit of a reproduction's work, whole in itself so that any machine can run it: train a model of the registry
 * into its run directory (unless that run has finished; an unfinished one is resumed), then evaluate one of its
 * checkpoints on a selection of the data. A row's candidates are trials that train and evaluate on the validation
 * split; the chosen one's test evaluation is a trial on the same run directory, which then trains nothing.
 *
 * @param id         unique within the reproduction ("n-gram/c3/valid")
 * @param model      the registry's name of the model
 * @param options    its train options as on the command line ("--hidden", "150")
 * @param epochs     epochs the run trains
 * @param last       evaluate the last checkpoint instead of the best by the validation monitor
 * @param dir        the run directory (a {@link dev.tessitura.model.run.TrainingRun}'s)
 * @param evaluation the model's evaluate options
 * @param data       what to evaluate; the model trains on the whole training split of the same data set
 */
public record Trial(String id, String model, List<String> options, int epochs, boolean last, Path dir, List<String> evaluation,
                    ModelKind.Selection data) {
    public Trial {
        options = List.copyOf(options);
        evaluation = List.copyOf(evaluation);
        if (epochs < 1) throw new IllegalArgumentException("trial " + id + ": epochs must be >= 1");
    }

    /** What a trial gives back: the evaluation's scores, and the seconds spent training (in this attempt) and evaluating. */
    public record Result(String id, ModelKind.Scores scores, double trainSeconds, double evalSeconds) {}
}
