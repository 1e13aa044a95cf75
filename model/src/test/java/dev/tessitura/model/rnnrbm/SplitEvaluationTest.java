package dev.tessitura.model.rnnrbm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation.Evaluation;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation.Options;
import dev.tessitura.model.rbm.ConditionalRbmEvaluation.Tally;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** An evaluation split by tunes into any ranges, merged in tune order, is bit for bit the one-JVM evaluation. */
class SplitEvaluationTest {
    private static final Options OPTIONS = Options.defaults().withAisRuns(8).withAisSteps(60).withBurnIn(3).withSamples(4).withSeed(11);

    @Test
    void anySplitIntoRangesGivesTheSameBits() {
        try (Backend be = Backends.create("simd", new BackendOptions(1, 0))) {
            RnnRbmTrainer tr = new RnnRbmTrainer(be, RnnRbmTrainerTest.config(0.05f, Optimizer.Kind.SGD), RnnRbmTrainerTest.NOTES);
            List<PianoRoll> tunes = new ArrayList<>(RnnRbmTrainerTest.tunes());
            tunes.add(2, PianoRoll.builder(0, 21, RnnRbmTrainerTest.NOTES).build());      // a tune with no frames gives no tally
            for (int e = 0; e < 2; e++) tr.trainEpoch(RnnRbmTrainerTest.tunes(), e, null);
            ConditionalRbmEvaluation eval = new ConditionalRbmEvaluation(be, tr.model);
            Evaluation whole = eval.evaluate(tunes, OPTIONS, null);
            for (int[] cuts : new int[][] {{0, 7}, {0, 1, 7}, {0, 3, 4, 7}, {0, 1, 2, 3, 4, 5, 6, 7}}) {
                List<Tally> parts = new ArrayList<>();
                for (int i = 0; i + 1 < cuts.length; i++) parts.addAll(eval.tallies(tunes, tunes, cuts[i], cuts[i + 1], OPTIONS, null, () -> false));
                assertEquals(6, parts.size());
                Evaluation split = Tally.merge(parts, true).evaluation();
                assertEquals(whole, split, "cut at " + java.util.Arrays.toString(cuts));   // records of doubles: equal bits
            }
            // tune 3 alone, computed by itself, draws what it draws inside the whole: its draws are keyed by its index
            Tally three = eval.tallies(tunes, tunes, 3, 4, OPTIONS, null, () -> false).get(0);
            assertEquals(three.evaluation(), Tally.merge(eval.tallies(tunes, tunes, 0, 7, OPTIONS, null, () -> false).subList(2, 3), true).evaluation());
            // another seed draws otherwise
            assertNotEquals(whole.logLikelihood(), eval.evaluate(tunes, OPTIONS.withSeed(12), null).logLikelihood());
        }
    }

    @Test
    void theRegistrysSplitEvaluationRunsOneTunePerBatchAndRefusesGpuBatches() {
        var byTunes = RnnRbmKind.RNN_RBM.evaluating().byTunes();
        assertEquals(1, byTunes.split(OPTIONS.withBatchChains(0)).batchChains());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> byTunes.split(OPTIONS.withBatchChains(5000)));
        assertEquals(true, e.getMessage().startsWith("--batch-chains 5000 "), e.getMessage());
    }
}
