package dev.tessitura.model.nade;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ExactFrames;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Rolls;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/** The frame-level NADE (nade) in the registry: every frame modelled alone, the paper's "NADE" row. */
public final class NadeKind implements ModelKind<NadeConfig> {
    public static final NadeKind NADE = new NadeKind();

    private NadeKind() {}

    @Override public String name() { return "nade"; }

    @Override public String summary() { return "a NADE over single frames, each independent of the past (the paper's NADE row)"; }

    @Override public Settings<NadeConfig> settings() { return NadeConfig.SETTINGS; }

    @Override
    public Trainer trainer(Backend be, NadeConfig config, Path data, int maxSequences, Report report) throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(new NadeTrainer(be, config, d.notes()), RnnNadeKind.trainingRolls(d, config.augment(), report), d.valid());
    }

    @Override
    public Trainer resume(Backend be, SafeTensors.Contents saved, NadeConfig config, Path data, int maxSequences, Report report)
            throws IOException {
        Rolls.Training d = Rolls.training(data, maxSequences, report);
        return new Training(NadeTrainer.load(be, saved, config), RnnNadeKind.trainingRolls(d, config.augment(), report), d.valid());
    }

    /** The trainer as a run drives it; validation: the exact NLL per frame and the ACC of 10 sampled frames per step. */
    private record Training(NadeTrainer t, List<PianoRoll> train, List<PianoRoll> valid) implements Trainer {
        @Override public String describe() {
            return "nade " + t.nade.nv + "/" + t.config().nh() + ", " + t.params.size() + " parameters, " + t.config().batch() + " frames per update";
        }

        @Override public long framesPerEpoch() { return NadeFrames.frames(train); }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            return t.trainEpoch(train, from, stop, progress);
        }

        @Override public Tensor parameters() { return t.params; }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (valid.isEmpty()) return Validation.NONE;
            NadeEvaluation.Result r = NadeEvaluation.evaluate(t.params.backend(), t.nade, shared(t.nade), valid, 10, 1000, null, stop);
            return r == null ? null : new Validation(-r.logLikelihood(), r.acc());
        }

        @Override public String costName() { return "negative log-likelihood per frame (exact), ACC of 10 samples per step"; }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException { t.save(file, at, about); }
    }

    /** Every frame under the shared biases bv, bh. */
    static NadeEvaluation.Biases shared(Nade nade) {
        return (v, steps) -> new Tensor[] {nade.bv, nade.bh};
    }

    @Override public Sampling<NoSettings> sampling() {
        return new Sampling<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, NoSettings o, Request r, Report report) throws IOException {
                Nade nade = NadeTrainer.load(be, c, NADE.config(c)).nade;
                PianoRoll primer = Rolls.primer(r.prime(), nade.nv);
                int p = primer == null ? 0 : primer.frames(), nv = nade.nv;
                Tensor v = be.zeros(Math.max(r.steps(), 1), nv), prob = be.zeros(Math.max(r.steps(), 1), nv);
                nade.sample(v, prob, nade.bv, nade.bh, new Rng(r.seed(), 5));
                float[] out = new float[(p + r.steps()) * nv], pr = new float[out.length];
                if (p > 0) {
                    System.arraycopy(primer.toFloats(), 0, out, 0, p * nv);
                    System.arraycopy(primer.toFloats(), 0, pr, 0, p * nv);
                }
                System.arraycopy(be.toArray(v), 0, out, p * nv, r.steps() * nv);
                System.arraycopy(be.toArray(prob), 0, pr, p * nv, r.steps() * nv);
                PianoRoll roll = PianoRoll.fromFloats(out, p + r.steps(), PianoRoll.DEFAULT_LOWEST, nv);
                return Rolls.writePiece(roll, pr, name() + ", " + p + " primer frame(s) + " + r.steps() + " independent frames", r.song());
            }
        };
    }

    @Override public ExactFrames exactFrames(Backend be, SafeTensors.Contents c) {
        Nade nade = NadeTrainer.load(be, c, NADE.config(c)).nade;
        return NadeEvaluation.exact(be, nade, shared(nade));
    }

    @Override public Evaluating<RnnNadeKind.EvalOptions> evaluating() {
        return new Evaluating<>() {
            @Override public Settings<RnnNadeKind.EvalOptions> settings() { return RnnNadeKind.EVALUATE; }

            @Override public Scores evaluate(Backend be, SafeTensors.Contents c, RnnNadeKind.EvalOptions o, Selection s, Report report)
                    throws IOException {
                Nade nade = NadeTrainer.load(be, c, NADE.config(c)).nade;
                return report(be, nade, shared(nade), name(), o, s, report);
            }
        };
    }

    /** The evaluation of the NADE models: the figures to the report's lines and back as scores. */
    static Scores report(Backend be, Nade nade, NadeEvaluation.Biases biases, String model, RnnNadeKind.EvalOptions o, Selection s,
                         Report report) throws IOException {
        long t0 = System.nanoTime();
        List<PianoRoll> rolls = Rolls.selection(s);
        Report.Phase bar = report.phase(o.samples() > 0 ? "log-likelihood, " + o.samples() + " frames sampled per step" : "log-likelihood",
                rolls.stream().mapToLong(PianoRoll::frames).sum());
        NadeEvaluation.Result r = NadeEvaluation.evaluate(be, nade, biases, rolls, o.samples(), o.seed(), bar::advance, () -> false);
        bar.finish();
        report.line(String.format(Locale.ROOT, "%s, split %s: %d sequences, %,d frames (%.1f s)", s.data(), s.split(), rolls.size(),
                r.frames(), (System.nanoTime() - t0) / 1e9));
        report.line(String.format(Locale.ROOT, "log-likelihood per time step: %.4f +- %.4f (%s: exact)", r.logLikelihood(), r.stdErr(), model));
        if (o.samples() > 0) {
            report.line(String.format(Locale.ROOT, "frame-level accuracy: %.2f%% (ACC: per step, the expected accuracy of %d frames drawn "
                    + "given the true history, mean over steps), %.2f%% (pooled over the same frames)", 100 * r.acc(), o.samples(), 100 * r.accPooled()));
        }
        report.line(Rolls.repeatBaseline(rolls));
        return new Scores(r.frames(), r.logLikelihood(), r.stdErr(), r.acc(), Map.of("acc_pooled", r.accPooled()));
    }
}
