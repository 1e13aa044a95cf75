package dev.tessitura.model.run;

import dev.tessitura.engine.Tensor;
import dev.tessitura.model.DivergedException;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The epochs of a training run in a run directory, the same for every model: each epoch trained, validated, written
 * to metrics.csv and curve.png, and checkpointed (best.safetensors when the validation cost is the best so far, then
 * checkpoint.safetensors); early stopping after {@code patience} epochs without improvement.
 *
 * <p>checkpoint.safetensors is the run's commit point: it is written last, atomically, and everything else in the
 * directory is derived from the run up to it (a resume rewrites the metrics rows and pictures of later epochs). A stop
 * request (Ctrl-C) is honoured wherever the run is: between updates, during the validation (the epoch is saved as
 * trained but not validated, and a resume validates it), before an epoch, or during pretraining (the trainer saves
 * what it has done); each time the checkpoint written then resumes exactly. A cost or weights that are not finite or
 * have blown up stop the run before anything is written.
 */
public final class TrainingRun {
    public static final String CHECKPOINT = "checkpoint.safetensors", BEST = "best.safetensors";
    public static final String METRICS = "metrics.csv", CURVE = "curve.png";

    /** How a run ended. */
    public enum Outcome { FINISHED, EARLY_STOP, INTERRUPTED }

    /** Asked to stop (Ctrl-C): polled between updates; told when the checkpoint that the stop leaves is on disk. */
    public interface Stop {
        boolean requested();

        void saved();

        /**
         * Whether a stop asked for now must wait until a run has saved ({@link #saved}): true while a run trains,
         * false while its caller does work that leaves nothing to save (an evaluation), which a stop may simply end.
         */
        default void busy(boolean saving) {}

        Stop NEVER = new Stop() {
            @Override public boolean requested() { return false; }

            @Override public void saved() {}
        };
    }

    private final Trainer trainer;
    private final String kind;
    private final Path dir;
    private final Map<String, String> about;
    private final Report report;

    /**
     * @param kind  the model's kind, for the curve's title and messages
     * @param about entries every checkpoint's header gets (the data, the backend)
     */
    public TrainingRun(Trainer trainer, String kind, Path dir, Map<String, String> about, Report report) {
        this.trainer = trainer;
        this.kind = kind;
        this.dir = dir;
        this.about = about;
        this.report = report;
    }

    /**
     * Trains from {@code at} until epoch {@code epochs} is done, early stopping with {@code patience} (0: never); first
     * whatever the trainer does before its first epoch (pretraining), if it has not done it yet.
     */
    public Outcome run(Position at, int epochs, int patience, Stop stop) throws IOException {
        Path ckpt = dir.resolve(CHECKPOINT);
        if (!trainer.beforeFirstEpoch(report, polled("pretraining", stop))) return interrupted(at, stop, "in pretraining");
        Metrics metrics = Metrics.read(dir.resolve(METRICS), at.epoch());
        int sinceBest = 0;
        while (at.epoch() < epochs) {
            int epoch = at.epoch();
            if (stop.requested()) return interrupted(at, stop, "before epoch " + (epoch + 1));
            Report.Phase bar = report.phase(String.format("epoch %d/%d", epoch + 1, epochs), trainer.framesPerEpoch());
            long t0 = System.nanoTime();
            EpochResult r = trainer.trainEpoch(at, polled("update", stop), bar::advance);
            double rate = bar.finish();
            if (!r.completed()) return interrupted(r.at(), stop, "in epoch " + (epoch + 1));
            checkHealthy(r, epoch);
            Trainer.Validation v = trainer.validate(epoch, polled("validation", stop));
            if (v == null) return interrupted(r.at(), stop, "in the validation of epoch " + (epoch + 1));
            double seconds = (System.nanoTime() - t0) / 1e9;
            metrics.add(epoch + 1, r.meanCost(), v.cost(), v.accuracy(), rate, seconds);
            TestPoints.reached("metrics", stop);
            metrics.writeCsv(dir.resolve(METRICS));
            TestPoints.reached("curve", stop);
            try {
                metrics.writeCurve(dir.resolve(CURVE), kind + ": " + trainer.costName());
            } catch (IOException | RuntimeException e) {
                // a picture is not worth a run: during a JVM shutdown (Ctrl-C) the image code may fail to start
                report.warning("curve.png not drawn this epoch: " + e);
            }
            at = r.next();
            boolean best = metrics.isBestValid();
            TestPoints.reached("best", stop);
            if (best) trainer.save(dir.resolve(BEST), at, about);
            TestPoints.reached("checkpoint", stop);
            trainer.save(ckpt, at, about);
            report.line(String.format(Locale.ROOT, "epoch %d: train cost %.4f%s  %,.0f frames/s  %.1f s%s", epoch + 1, r.meanCost(),
                    Double.isNaN(v.cost()) ? "" : String.format(Locale.ROOT, "  valid cost %.4f  ACC %.2f%%", v.cost(), 100 * v.accuracy()),
                    rate, seconds, best ? "  (best)" : ""));
            sinceBest = best ? 0 : sinceBest + 1;
            if (patience > 0 && sinceBest >= patience) {
                report.line(String.format("early stop: no validation improvement for %d epochs", patience));
                return Outcome.EARLY_STOP;
            }
        }
        return Outcome.FINISHED;
    }

    /** The stop request as a poll that is also a test point (each poll of the trainer's counts as one). */
    private static java.util.function.BooleanSupplier polled(String point, Stop stop) {
        return () -> {
            TestPoints.reached(point, stop);
            return stop.requested();
        };
    }

    /** The epoch's cost and the weights after it must be finite and sane before anything of it is written. */
    private void checkHealthy(EpochResult r, int epoch) {
        DivergedException.check(kind, r.meanCost(), 0, "epoch " + (epoch + 1) + "'s mean", "try a smaller learning rate");
        Tensor p = trainer.parameters();
        DivergedException.checkWeights(kind, p.backend().sumOfSquares(p), p.size(), "after epoch " + (epoch + 1));
    }

    /** Saves where the run stands and says how to go on. */
    private Outcome interrupted(Position at, Stop stop, String where) throws IOException {
        Path ckpt = dir.resolve(CHECKPOINT);
        trainer.save(ckpt, at, about);
        report.line(String.format("stopped %s; saved %s; continue with --resume", where, ckpt));
        stop.saved();   // last: the JVM may halt as soon as the shutdown hook is released
        return Outcome.INTERRUPTED;
    }
}
