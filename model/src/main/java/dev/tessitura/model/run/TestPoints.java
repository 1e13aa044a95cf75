package dev.tessitura.model.run;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * A test seam: named points of a training run where a test can have the process send itself SIGINT, so that a
 * Ctrl-C arrives exactly there (during an update, the validation, the picture, the checkpoint...) and the run's answer
 * to it can be checked. The system property {@code tessitura.test.interrupt=NAME#N} interrupts at the N-th time
 * point NAME is reached; without it every call returns at once.
 */
final class TestPoints {
    private static final String SPEC = System.getProperty("tessitura.test.interrupt");
    private static final Map<String, Integer> COUNTS = new HashMap<>();

    private TestPoints() {}

    /** Point {@code name} is reached; if it is the one asked for, SIGINT this process and wait until stop sees it. */
    static void reached(String name, TrainingRun.Stop stop) {
        if (SPEC == null) return;
        int n = COUNTS.merge(name, 1, Integer::sum);
        if (!SPEC.equals(name + "#" + n)) return;
        try {
            new ProcessBuilder("kill", "-INT", Long.toString(ProcessHandle.current().pid())).inheritIO().start().waitFor();
            for (int i = 0; i < 1000 && !stop.requested(); i++) Thread.sleep(10);
        } catch (IOException e) {
            throw new IllegalStateException("test point " + name + ": cannot send SIGINT", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
