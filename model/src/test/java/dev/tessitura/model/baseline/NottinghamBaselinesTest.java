package dev.tessitura.model.baseline;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.model.reproduce.Recipes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bar: the count-based baselines reproduce the paper's Nottingham log-likelihoods to 0.01 (Random -61.00 = 88 ln
 * 1/2, IID note 1-gram -16.24, note N-gram -4.54 with N chosen on validation), and repeating the previous frame scores
 * 69.33 % by the paper's accuracy rule. Shared data: skipped where ../shared/datasets/nottingham is absent.
 */
class NottinghamBaselinesTest {
    static Dataset d;

    @BeforeAll
    static void load() throws Exception {
        String shared = System.getProperty("tessitura.shared", "");
        Path file = Path.of(shared, "datasets", "nottingham", "Nottingham.pickle");
        Assumptions.assumeTrue(!shared.isEmpty() && Files.isRegularFile(file), "shared Nottingham data absent at " + file + " (set -Dtessitura.shared)");
        d = DatasetLoader.load(file);
    }

    private static <C> double[] test(BaselineKind<C> kind, List<String> options, String split) {
        var r = kind.measure(kind.count(kind.settings().parse(options), d.train(), 88), d.split(split), 88, () -> false);
        return new double[] {r.logLikelihood(), r.accuracy()};
    }

    @Test
    void randomAndTheIidNoteOneGram() {
        assertEquals(-61.00, test(RandomKind.RANDOM, List.of("--p", "0.5"), "test")[0], 0.01);
        assertEquals(-16.24, test(NgramKind.NGRAM, List.of("--context", "0", "--shared"), "test")[0], 0.01);
    }

    /** The recipe's search for N: the best validation log-likelihood is N = 14 (context 13), and its test figure the paper's. */
    @Test
    void theNoteNGramChosenOnValidation() {
        Recipes.Row row = Recipes.load().row("n-gram");
        String grid = row.options("default").get(1);
        int best = -1;
        double bestLl = Double.NEGATIVE_INFINITY;
        for (String c : grid.split("\\|")) {
            double ll = test(NgramKind.NGRAM, List.of("--context", c), "valid")[0];
            if (ll > bestLl) {
                bestLl = ll;
                best = Integer.parseInt(c);
            }
        }
        assertEquals(13, best, "context chosen on validation");
        assertEquals(-4.54, test(NgramKind.NGRAM, List.of("--context", "13"), "test")[0], 0.01);
    }

    @Test
    void repeatingThePreviousFrame() {
        assertEquals(0.6933, test(RepeatKind.REPEAT, List.of(), "test")[1], 5e-5);
    }
}
