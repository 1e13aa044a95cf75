package dev.tessitura.model;

import dev.tessitura.engine.Backend;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * One kind of model, as the registry ({@link Models}) lists it and every command drives it: its name (the CLI's word
 * and the checkpoint's "kind"), its configuration's settings, how to make a trainer (new or from a checkpoint), how
 * to sample from a trained one and how to evaluate it. A new model is a package with its own classes and one such
 * object added to {@link Models#ALL}.
 *
 * @param <C> the configuration record that {@link #settings} declares
 */
public interface ModelKind<C> {
    /** "rnn-rbm": the word after {@code train} and the "kind" in its checkpoints. */
    String name();

    /** One line for the list of models. */
    String summary();

    /** The configuration's defaults, command-line options and checkpoint keys. */
    Settings<C> settings();

    /** A new model of this configuration, on its training data (the first {@code maxSequences}, 0 = all). */
    Trainer trainer(Backend be, C config, Path data, int maxSequences, Report report) throws IOException;

    /**
     * The model and optimizer of a checkpoint of this kind, on its training data; {@code config} is the checkpoint's
     * ({@link #config}), perhaps with new values for settings that are not the model's (those without a header key).
     */
    Trainer resume(Backend be, SafeTensors.Contents saved, C config, Path data, int maxSequences, Report report) throws IOException;

    /** Whether {@link #initialized} can start a run from another run's parameters (train's --init). */
    default boolean startsFromParameters() {
        return false;
    }

    /**
     * A new run of this configuration whose model starts as the checkpoint {@code from} (of this kind and sizes) left
     * it, with a fresh optimizer and no pretraining: fine-tuning, e.g. on the untransposed tunes after --augment.
     */
    default Trainer initialized(Backend be, SafeTensors.Contents from, C config, Path data, int maxSequences, Report report) throws IOException {
        throw new UnsupportedOperationException(name() + " does not start from another run's parameters");
    }

    /** How a trained model composes: its own settings (e.g. Gibbs steps) and the sampling itself. */
    Sampling<?> sampling();

    /** How a trained model is measured: its own settings (e.g. AIS runs) and the evaluation itself. */
    Evaluating<?> evaluating();

    /**
     * A trained model's exact frame probabilities, for a mixture of models ({@link Mixture}); null (the default) for
     * a kind whose likelihood is not exact (the RBM-based ones: AIS estimates it).
     */
    default ExactFrames exactFrames(Backend be, SafeTensors.Contents c) throws IOException {
        return null;
    }

    /** The configuration a checkpoint of this kind was trained with. */
    default C config(SafeTensors.Contents c) {
        return settings().decode(c.metadata());
    }

    /** What `generate` gives every model: frames to add, an optional primer, the seed and the output MIDI file. */
    record Request(int steps, Path prime, long seed, Path song) {}

    /**
     * The data `evaluate` reads: a split of a data set, every N-th sequence, at most maxSequences of those and at most
     * maxFrames frames (the last sequence cut short; 0 = no limit).
     */
    record Selection(Path data, String split, int every, int maxSequences, int maxFrames) {
        public Selection(Path data, String split, int every, int maxSequences) {
            this(data, split, every, maxSequences, 0);
        }
    }

    /** The settings of a verb that has none of its own. */
    record NoSettings() {
        public static final Settings<NoSettings> NONE = Settings.of(new NoSettings()).build();
    }

    /** Sampling with settings G. */
    interface Sampling<G> {
        Settings<G> settings();

        /**
         * Writes the piece (song, and beside it a picture and a sound); returns one line saying what it wrote. Progress
         * (frames or events) goes to the report.
         */
        String generate(Backend be, SafeTensors.Contents c, G settings, Request request, Report report) throws IOException;
    }

    /** Evaluation with settings E. */
    interface Evaluating<E> {
        Settings<E> settings();

        /** Evaluates on the selected data; the figures go to the report's lines and come back as scores. */
        Scores evaluate(Backend be, SafeTensors.Contents c, E settings, Selection data, Report report) throws IOException;

        /** The evaluation split by tunes, for many machines; null where the model's evaluation does not split. */
        default ByTunes<E, ?> byTunes() {
            return null;
        }
    }

    /**
     * An evaluation split by tunes: parts computed anywhere for ranges of the selection's tunes, each tune's draws
     * keyed by (seed, its index in the selection), and merged in tune order into exactly the figures (and report
     * lines) of {@link Evaluating#evaluate}.
     *
     * @param <P> what a range of tunes gives, sent from where it was computed
     */
    interface ByTunes<E, P extends Serializable> {
        /** The settings a split evaluation runs with; an IllegalArgumentException for those it cannot honour. */
        E split(E settings);

        /**
         * The parts of the tunes [from, to) of the selection, in tune order; {@code data} is the data set the selection
         * came from (e.g. for AIS's base rate from its training split).
         */
        List<P> parts(Backend be, SafeTensors.Contents c, E settings, List<PianoRoll> selection, Path data, int from, int to)
                throws IOException;

        /** The figures of all the parts in tune order, reported as evaluate reports them; t0: when it started (nanoTime). */
        Scores merge(List<P> parts, E settings, Selection data, List<PianoRoll> selection, long t0, Report report);
    }

    /**
     * The headline figures of an evaluation: log-likelihood per time step over all predicted frames as one flat list
     * (NaN where not computed) with its standard error, and the expected frame-level accuracy; {@code more} holds the
     * model's other figures by name.
     */
    record Scores(long frames, double logLikelihood, double stdErr, double accuracy, Map<String, Double> more) {
        /** The standard error of the accuracy over time steps, where the model gives it; NaN otherwise. */
        public double accStdErr() {
            return more.getOrDefault(ACC_STDERR, Double.NaN);
        }
    }

    /** The key in {@link Scores#more} of the accuracy's standard error over time steps. */
    String ACC_STDERR = "acc_stderr";
}
