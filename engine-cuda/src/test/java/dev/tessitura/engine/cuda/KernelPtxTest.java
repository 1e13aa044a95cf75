package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.File;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The PTX packaged by the kernels module: there when nvcc was, and holding every kernel the backend launches. */
class KernelPtxTest {
    @Test
    void entryNamesAreParsedFromPtxText() {
        String ptx = """
                .version 9.0
                .target sm_75
                .func (.param .b32 func_retval0) helper(.param .b32 x)
                .visible .entry k_add(
                \t.param .u64 k_add_param_0
                )
                .visible .entry k_gibbs_chain (
                """;
        assertEquals(List.of("k_add", "k_gibbs_chain"), List.copyOf(Kernel.entries(ptx)));
    }

    @Test
    void entryNamesFollowTheConstants() {
        assertEquals("k_add_mul", Kernel.ADD_MUL.entry());
        assertEquals("k_free_energy_epilogue", Kernel.FREE_ENERGY_EPILOGUE.entry());
    }

    @Test
    void everyLaunchedKernelIsInThePtxAndEveryPtxKernelIsLaunched() {
        String ptx = Kernel.ptx().orElse(null);
        if (ptx == null) {
            assertFalse(nvccOnPath(), "nvcc is on the PATH here but the kernels jar holds no PTX:"
                    + " the nvcc step of kernels/pom.xml did not run");
            Assumptions.abort("kernels built without nvcc (no PTX in the jar): nothing to check");
        }
        Set<String> entries = Kernel.entries(ptx);
        Set<String> launched = new TreeSet<>();
        for (Kernel k : Kernel.values()) launched.add(k.entry());
        Set<String> missing = new TreeSet<>(launched);
        missing.removeAll(entries);
        assertTrue(missing.isEmpty(), "kernels the backend launches but the PTX lacks: " + missing);
        Set<String> unused = new TreeSet<>(entries);
        unused.removeAll(launched);
        assertTrue(unused.isEmpty(), "kernels in the PTX that the backend never launches: " + unused);
        assertTrue(ptx.contains(".target sm_75"), "PTX not built for compute_75: " + ptx.lines().filter(l -> l.startsWith(".target")).toList());
    }

    static boolean nvccOnPath() {
        String path = System.getenv("PATH");
        return path != null && Arrays.stream(path.split(File.pathSeparator)).anyMatch(d -> new File(d, "nvcc").canExecute());
    }
}
