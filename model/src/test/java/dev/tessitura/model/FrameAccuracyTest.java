package dev.tessitura.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class FrameAccuracyTest {
    @Test
    void decidedPredictionsCountTruePositivesOverAllButTrueNegatives() {
        FrameAccuracy a = new FrameAccuracy();
        a.add(true, 1);     // TP
        a.add(true, 1);     // TP
        a.add(true, 0);     // FP
        a.add(false, 1);    // FN
        a.add(false, 0);    // TN: not counted
        a.add(false, 0);
        assertEquals(2.0 / 4, a.value(), 1e-15);
        assertTrue(Double.isNaN(new FrameAccuracy().value()));
    }

    @Test
    void expectedCountsOfProbabilisticPredictions() {
        FrameAccuracy a = new FrameAccuracy();
        a.addExpected(0.75, 1);   // TP 0.75, FN 0.25
        a.addExpected(0.5, 0);    // FP 0.5
        a.addExpected(0.0, 0);    // nothing
        assertEquals(0.75 / (0.75 + 0.5 + 0.25), a.value(), 1e-15);
        // p of exactly 0 or 1 counts as the decided prediction
        FrameAccuracy b = new FrameAccuracy(), c = new FrameAccuracy();
        for (double[] py : new double[][] {{1, 1}, {1, 0}, {0, 1}, {0, 0}, {1, 1}}) {
            b.addExpected(py[0], py[1]);
            c.add(py[0] == 1, py[1]);
        }
        assertEquals(c.value(), b.value(), 0);
    }
}
