package dev.tessitura.model.run;

import dev.tessitura.model.EpochResult;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The epochs of a training run in a run directory, the same for every model: each epoch trained (stopping between
 * updates when asked), validated, written to metrics.csv and curve.png, checkpointed (checkpoint.safetensors after
 * every epoch, best.safetensors when the validation cost is the best so far); early stopping after {@code patience}
 * epochs without improvement. A stop request ends the epoch at the next update with a checkpoint from which the run
 * resumes exactly.
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
     * @param kind  the model's kind, for the curve's title
     * @param about entries every checkpoint's header gets (the data, the backend)
     */
    public TrainingRun(Trainer trainer, String kind, Path dir, Map<String, String> about, Report report) {
        this.trainer = trainer;
        this.kind = kind;
        this.dir = dir;
        this.about = about;
        this.report = report;
    }

    /** Trains from {@code at} until epoch {@code epochs} is done, early stopping with {@code patience} (0: never). */
    public Outcome run(Position at, int epochs, int patience, Stop stop) throws IOException {
        Path ckpt = dir.resolve(CHECKPOINT);
        Metrics metrics = Metrics.read(dir.resolve(METRICS), at.epoch());
        int sinceBest = 0;
        while (at.epoch() < epochs) {
            int epoch = at.epoch();
            Report.Phase bar = report.phase(String.format("epoch %d/%d", epoch + 1, epochs), trainer.framesPerEpoch());
            long t0 = System.nanoTime();
            EpochResult r = trainer.trainEpoch(at, stop::requested, bar::advance);
            double rate = bar.finish();
            if (!r.completed()) {
                trainer.save(ckpt, r.next(), about);
                report.line(String.format("stopped in epoch %d; saved %s; continue with --resume", epoch + 1, ckpt));
                stop.saved();   // last: the JVM may halt as soon as the shutdown hook is released
                return Outcome.INTERRUPTED;
            }
            Trainer.Validation v = trainer.validate(epoch);
            double seconds = (System.nanoTime() - t0) / 1e9;
            metrics.add(epoch + 1, r.meanCost(), v.cost(), v.accuracy(), rate, seconds);
            metrics.writeCsv(dir.resolve(METRICS));
            metrics.writeCurve(dir.resolve(CURVE), kind + ": " + trainer.costName());
            at = r.next();
            trainer.save(ckpt, at, about);
            boolean best = metrics.isBestValid();
            if (best) trainer.save(dir.resolve(BEST), at, about);
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
}
