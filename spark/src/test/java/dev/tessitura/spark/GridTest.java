package dev.tessitura.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.model.Models;
import dev.tessitura.model.lstm.LstmConfig;
import dev.tessitura.model.lstm.LstmKind;
import dev.tessitura.model.rnnrbm.RnnRbmConfig;
import dev.tessitura.model.rnnrbm.RnnRbmKind;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The grid's syntax, its checks against the model's settings, its trials and their seeds. */
class GridTest {
    @Test
    void combinationsVaryTheFirstKeySlowest() {
        Grid g = Grid.parse(Models.byName("rnn-rbm"), "lr-rbm=0.01,0.1; --hidden=150,300 ;k=5");
        assertEquals(List.of("lr-rbm", "hidden"), g.swept());
        assertEquals(List.of("lr-rbm=0.01 hidden=150 k=5", "lr-rbm=0.01 hidden=300 k=5", "lr-rbm=0.1 hidden=150 k=5", "lr-rbm=0.1 hidden=300 k=5"),
                g.combinations().stream().map(GridTest::label).toList());
        RnnRbmConfig c = Grid.apply(RnnRbmKind.RNN_RBM.settings(), g.combinations().get(3));
        assertEquals(0.1f, c.lrRbm());
        assertEquals(300, c.nh());
        assertEquals(5, c.k());
        assertEquals(RnnRbmConfig.defaults().lrRnn(), c.lrRnn(), "a key not in the grid keeps its default");
    }

    @Test
    void aliasesListsAndFlags() {
        Grid g = Grid.parse(Models.byName("lstm"), "layers=[120,120],[200] ; skip=true,false");
        assertEquals(List.of("layers=120,120 skip=true", "layers=120,120 skip=false", "layers=200 skip=true", "layers=200 skip=false"),
                g.combinations().stream().map(GridTest::label).toList());
        LstmConfig c = Grid.apply(LstmKind.LSTM.settings(), g.combinations().get(0));
        assertEquals(List.of(120, 120), java.util.Arrays.stream(c.hidden()).boxed().toList());
        assertTrue(c.skip());
        // --chunk is --steps: the grid names it by its first option
        assertEquals(List.of("steps"), Grid.parse(Models.byName("rnn-rbm"), "chunk=50,100").swept());
    }

    @Test
    void badKeysAndValuesAreOneLineErrorsNamingThem() {
        var m = Models.byName("rnn-rbm");
        assertTrue(message(() -> Grid.parse(m, "hiden=150")).startsWith("--grid: rnn-rbm has no setting 'hiden' (hidden, recurrent, k, steps, "), message(() -> Grid.parse(m, "hiden=150")));
        assertEquals("--grid: --hidden wants an integer, got 'lots'", message(() -> Grid.parse(m, "hidden=150,lots")));
        assertEquals("--grid: rnn-rbm: sizes, k and chunk must be >= 1", message(() -> Grid.parse(m, "hidden=0")));
        assertEquals("--grid: --lr-rbm wants a finite number, got 'NaN'", message(() -> Grid.parse(m, "lr-rbm=NaN")));
        assertEquals("--grid: 'hidden' is not key=value,value,...", message(() -> Grid.parse(m, "hidden")));
        assertEquals("--grid: hidden is given twice", message(() -> Grid.parse(m, "hidden=1;hidden=2")));
        assertEquals("--grid: hidden has an empty value", message(() -> Grid.parse(m, "hidden=1,,2")));
        assertEquals("--grid: hidden has an unmatched '['", message(() -> Grid.parse(m, "hidden=[1")));
        assertEquals("--grid: no key=values given", message(() -> Grid.parse(m, " ; ")));
    }

    @Test
    void randomSearchDrawsDistinctTrialsWithTheSeed() {
        Grid g = Grid.parse(Models.byName("rnn-rbm"), "lr-rbm=0.001,0.003,0.01,0.03,0.1;hidden=50,100,150,200");
        List<Map<String, String>> a = g.trials(6, 7), b = g.trials(6, 7), c = g.trials(6, 8);
        assertEquals(a, b);
        assertNotEquals(a, c);
        assertEquals(6, a.stream().distinct().count());
        assertEquals(20, g.trials(0, 7).size());
        assertEquals(20, g.trials(50, 7).size());
    }

    @Test
    void aTrialsSeedIsAFunctionOfTheSweepsSeedAndItsValuesOnly() {
        Map<String, String> v = new LinkedHashMap<>(Map.of("hidden", "150"));
        long s = Grid.seed(1, v);
        assertEquals(s, Grid.seed(1, new LinkedHashMap<>(v)));
        assertTrue(s > 0 && s < (1L << 31));
        assertNotEquals(s, Grid.seed(2, v));
        assertNotEquals(s, Grid.seed(1, Map.of("hidden", "300")));
    }

    static String label(Map<String, String> m) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(b.isEmpty() ? "" : " ").append(k).append('=').append(v));
        return b.toString();
    }

    static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }
}
