package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

class GpuSuiteTest {
    /**
     * Where there is no GPU, the launcher finds the GPU tests, skips every one, and --require-gpu turns that into 2;
     * --ops finds the ops' tests alone.
     */
    @Test
    void withoutAGpuTheSuiteIsFoundSkippedAndFlagged() {
        Assumptions.assumeTrue(new CudaProvider().unavailableReason().isPresent(), "this machine has a usable GPU");
        TestExecutionSummary s = GpuSuite.run(false), ops = GpuSuite.run(true);
        assertTrue(s.getTestsFoundCount() >= 30, "found " + s.getTestsFoundCount());
        assertTrue(ops.getTestsFoundCount() >= 20 && ops.getTestsFoundCount() < s.getTestsFoundCount(), "ops: " + ops.getTestsFoundCount());
        assertEquals(s.getTestsFoundCount(), s.getTestsAbortedCount());
        assertEquals(0, s.getTotalFailureCount());
        assertEquals(2, GpuSuite.status(s, true));
        assertEquals(0, GpuSuite.status(s, false));
    }
}
