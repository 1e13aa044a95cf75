package dev.tessitura.model.framerbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.ExpectedAccuracy;
import dev.tessitura.model.FrameAccuracy;
import dev.tessitura.model.Report;
import dev.tessitura.model.rbm.Ais;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation;
import dev.tessitura.model.rbm.Rbm;
import java.util.List;

/**
 * The paper's measures for one RBM over frames: every frame has the same conditional, so one AIS estimate of log Z
 * (its runs from the base-rate model fit to the training frames) serves every frame's log-likelihood, and its runs'
 * weighted end states every frame's expected accuracy; the Gibbs chains' figures come from the conditional-RBM
 * evaluation with the same biases at every step.
 */
final class FrameRbmEvaluation {
    private FrameRbmEvaluation() {}

    static ConditionalRbmEvaluation.Evaluation evaluate(Backend be, Rbm rbm, List<PianoRoll> rolls, List<PianoRoll> train,
                                                        ConditionalRbmEvaluation.Options o, Report report) {
        int n = rbm.nv;
        float[] x = FrameRbmKind.frames(rolls, n);
        int count = x.length / n;
        ConditionalRbmEvaluation.ConditionalRbms same = new ConditionalRbmEvaluation.ConditionalRbms() {
            @Override public int nv() { return n; }

            @Override public int nh() { return rbm.nh; }

            @Override public Tensor W() { return rbm.w; }

            @Override public void biases(Tensor v, int steps, Tensor bv, Tensor bh) {
                be.fill(bv, 0f);
                be.addRowVector(bv, bv, rbm.bv);
                be.fill(bh, 0f);
                be.addRowVector(bh, bh, rbm.bh);
            }
        };
        Report.Phase bar = report.phase("Gibbs chains", count);
        ConditionalRbmEvaluation.Evaluation chains = new ConditionalRbmEvaluation(be, same).evaluate(rolls, rolls, o.withAisRuns(0),
                bar::advance, () -> false);
        bar.finish();
        if (o.aisRuns() == 0) return chains;
        float[] t = FrameRbmKind.frames(train, n);
        Ais.Runs runs = Ais.run(be, rbm.w, rbm.bv, rbm.bh, Ais.baseRateBiases(be, be.of(t, t.length / n, n)), o.aisRuns(),
                Ais.Schedule.paperShape(o.aisSteps()), new Rng(o.seed(), 6));
        Ais.Estimate z = runs.estimates()[0];
        Tensor f = be.zeros(count);
        rbm.freeEnergy(f, be.of(x, count, n));
        float[] fe = be.toArray(f);
        double sum = 0, sumSq = 0;
        ExpectedAccuracy acc = new ExpectedAccuracy();
        FrameAccuracy pooled = new FrameAccuracy(), threshold = new FrameAccuracy();
        float[] m = new float[n];
        runs.marginals(0, m, 0);
        for (int i = 0; i < count; i++) {
            double ll = -fe[i] - z.logZ();
            sum += ll;
            sumSq += ll * ll;
            acc.addExpected(runs.expectedAccuracy(0, x, i * n));
            for (int j = 0; j < n; j++) {
                pooled.addExpected(m[j], x[i * n + j]);
                threshold.add(m[j] > 0.5, x[i * n + j]);
            }
        }
        double mean = sum / count, var = Math.max(sumSq / count - mean * mean, 0);
        // one log Z for every frame: its error is the mean's whole AIS error
        return new ConditionalRbmEvaluation.Evaluation(count, mean, Math.sqrt(var / count), z.stdErr(), acc.value(), chains.accChainFrames(),
                acc.stdErr(), chains.accExpected(), chains.accThreshold(), chains.accSampled(), chains.accMode(), pooled.value(), threshold.value());
    }
}
