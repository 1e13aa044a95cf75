package dev.tessitura.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.engine.cpu.simd.SimdBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The backend choice as a user meets it, in child JVMs on this test's class path: without
 * {@code --add-modules jdk.incubator.vector} "auto" falls back to scalar and says once how to enable SIMD; with the
 * module it picks simd, unless -Dtessitura.vector=scalar forces scalar. And in this JVM, a vector width the CPU lacks
 * is refused with words that name it.
 */
class SimdFallbackTest {
    private static final String HINT = "--add-modules jdk.incubator.vector";

    /** The child's stdout and stderr, merged, as lines. */
    private static List<String> runChild(String... jvmArgs) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SimdFallbackMain.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish: " + cmd);
        assertEquals(0, p.exitValue(), "child JVM failed: " + cmd + "\n" + out);
        return out.lines().toList();
    }

    @Test
    void withoutTheModuleAutoFallsBackToScalarAndSaysHowToEnableSimdOnce() throws Exception {
        List<String> lines = runChild();
        assertTrue(lines.contains("scalar"), "expected the scalar backend, got:\n" + String.join("\n", lines));
        assertTrue(!lines.contains("simd"), String.join("\n", lines));
        long hints = lines.stream().filter(l -> l.contains(HINT)).count();
        assertEquals(1, hints, "expected exactly one line saying '" + HINT + "', got:\n" + String.join("\n", lines));
    }

    @Test
    void withTheModuleAutoPicksSimdUnlessScalarIsForced() throws Exception {
        List<String> simd = runChild("--add-modules", "jdk.incubator.vector");
        assertTrue(simd.contains("simd"), String.join("\n", simd));
        assertTrue(simd.stream().noneMatch(l -> l.contains(HINT)), "no hint when the module is there:\n" + String.join("\n", simd));
        List<String> forced = runChild("--add-modules", "jdk.incubator.vector", "-Dtessitura.vector=scalar");
        assertTrue(forced.contains("scalar") && !forced.contains("simd"), String.join("\n", forced));
    }

    @Test
    void aVectorWidthTheCpuLacksIsRefusedClearly() {
        int preferred;
        try (Backend be = Backends.create("simd", new BackendOptions(1, 0))) {
            preferred = ((SimdBackend) be).vectorBits();
        }
        Assumptions.assumeTrue(preferred < 512, "this CPU has 512-bit vectors; nothing to refuse");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Backends.create("simd", new BackendOptions(1, 512)));
        assertTrue(e.getMessage().contains("512") && e.getMessage().contains(String.valueOf(preferred)), e.getMessage());
        for (int bits : new int[] {128, preferred}) {
            try (Backend be = Backends.create("simd", new BackendOptions(1, bits))) {
                assertEquals(bits, ((SimdBackend) be).vectorBits());
            }
        }
    }
}
