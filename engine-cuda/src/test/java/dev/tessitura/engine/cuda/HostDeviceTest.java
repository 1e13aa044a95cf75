package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.engine.cuda.Device.Ptr;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The host emulator itself: it knows every kernel CudaBackend launches, and it refuses what a GPU would refuse. */
class HostDeviceTest {
    static HostDevice device() {
        Optional<String> why = HostDevice.unavailableReason();
        Assumptions.assumeTrue(why.isEmpty(), () -> "no host emulator here: " + why.orElse(""));
        return HostDevice.open();
    }

    @Test
    void everyKernelOfTheBackendIsInTheSourcesWithItsParameters() {
        try (HostDevice d = device()) {
            for (Kernel k : Kernel.values()) assertTrue(d.signature(k.entry()).isPresent(), k.entry());
            assertEquals(Kernel.values().length, d.kernels().size(), "kernels in the sources: " + d.kernels());
            assertEquals(Optional.of("pppl"), d.signature("k_add"));
            assertEquals(Optional.of("ppiiff"), d.signature("k_column_sums"));
            assertEquals(Optional.of("ppluuuuLp"), d.signature("k_bernoulli"));   // the Philox arguments end with the replay offset
        }
    }

    /**
     * nvcc and g++ saw the same kernels: every entry's parameters in the PTX (.u64 / .u32 / .f32 ...) have the sizes
     * of the emulator's (a pointer or a long long: 8 bytes; int, unsigned, float: 4), so that a check of a launch's
     * arguments on the emulator holds for the GPU.
     */
    @Test
    void thePtxHasTheEmulatorsParameterSizes() {
        String ptx = Kernel.ptx().orElse(null);
        Assumptions.assumeTrue(ptx != null, "kernels built without nvcc: no PTX to compare");
        try (HostDevice d = device()) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\.entry\\s+(k_\\w+)\\s*\\(([^)]*)\\)").matcher(ptx);
            int seen = 0;
            while (m.find()) {
                StringBuilder sizes = new StringBuilder();
                java.util.regex.Matcher p = java.util.regex.Pattern.compile("\\.param\\s+\\.[busf](\\d+)").matcher(m.group(2));
                while (p.find()) sizes.append(p.group(1).equals("64") ? '8' : '4');
                String sig = d.signature(m.group(1)).orElseThrow(() -> new AssertionError(m.group(1) + " is not in the emulator"));
                StringBuilder want = new StringBuilder();
                for (char c : sig.toCharArray()) want.append("plL".indexOf(c) >= 0 ? '8' : '4');
                assertEquals(want.toString(), sizes.toString(), m.group(1) + " (emulator: " + sig + ")");
                seen++;
            }
            assertEquals(Kernel.values().length, seen);
        }
    }

    @Test
    void argumentsAreCheckedAgainstTheParameters() {
        assertTrue(HostDevice.matches("ppif", new Ptr(1), new Ptr(0), 3, 1f));
        assertFalse(HostDevice.matches("ppif", new Ptr(1), new Ptr(0), 3L, 1f), "a long for an int");
        assertFalse(HostDevice.matches("ppif", new Ptr(1), 7L, 3, 1f), "a long for a pointer");
        assertFalse(HostDevice.matches("ppif", new Ptr(1), new Ptr(0), 3), "too few");
        try (HostDevice d = device()) {
            long p = d.allocate(64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.launch(Kernel.SCALE, 1, 32, 0, new Ptr(p), 16, 2f));
            assertTrue(e.getMessage().contains("k_scale") && e.getMessage().contains("plf"), e.getMessage());
        }
    }

    /** A kernel writing past its buffer is caught after the launch and named, as compute-sanitizer would. */
    @Test
    void writesOutsideAnAllocationAreReportedByKernel() {
        try (HostDevice d = device()) {
            long p = d.allocate(64), q = d.allocate(64);
            d.launch(Kernel.SCALE, 1, 32, 0, new Ptr(p), 16L, 2f);                  // 16 floats: inside
            CudaException e = assertThrows(CudaException.class, () -> d.launch(Kernel.SCALE, 1, 32, 0, new Ptr(p), 20L, 2f));
            assertEquals("CUDA_ERROR_ILLEGAL_ADDRESS", e.errorName());
            assertTrue(e.getMessage().contains("k_scale") && e.getMessage().contains("64-byte allocation"), e.getMessage());
            d.launch(Kernel.SCALE, 1, 32, 0, new Ptr(q), 16L, 2f);                  // the guard was restored
            assertThrows(CudaException.class, () -> d.launch(Kernel.SCALE, 1, 32, 0, new Ptr(q - 8), 2L, 2f), "before the start");
        }
    }

    @Test
    void refusesWhatAGpuRefuses() {
        try (HostDevice d = device()) {
            long p = d.allocate(64);
            assertThrows(CudaException.class, () -> d.launch(Kernel.SCALE, 1, 1025, 0, new Ptr(p), 16L, 2f), "1025 threads");
            assertThrows(CudaException.class, () -> d.launch(Kernel.SCALE, 1, 32, d.maxSharedBytes() + 1, new Ptr(p), 16L, 2f));
            assertThrows(CudaException.class, () -> d.copyOut(new float[17], 0, 17, p), "past the allocation");
            assertEquals(0, d.allocate(HostDevice.CAPACITY + 1), "out of memory");
            d.launch(Kernel.SCALE, 1, 32, 0, new Ptr(p), 16L, 2f);   // and it still works
        }
    }

    /**
     * reverseBlocks runs a launch's blocks last to first, so that a kernel whose result depends on the order of its
     * blocks shows: here an add whose output overlaps its input one block further on (block 0 writes what block 1
     * reads) computes something else in each order.
     */
    @Test
    void reversedBlocksTellAnOrderDependentLaunch() {
        float[][] got = new float[2][1024];
        for (int q = 0; q < 2; q++) {
            try (HostDevice d = device()) {
                d.reverseBlocks = q == 1;
                long a = d.allocate(1024 * Float.BYTES), zero = d.allocate(1024 * Float.BYTES);
                float[] init = new float[1024];
                for (int i = 0; i < init.length; i++) init[i] = i;
                d.copyIn(a, init, 0, 1024);
                d.copyIn(zero, new float[1024], 0, 1024);
                d.launch(Kernel.ADD, 3, 256, 0, new Ptr(a + 256 * Float.BYTES), new Ptr(a), new Ptr(zero), 768L);
                d.copyOut(got[q], 0, 1024, a);
            }
        }
        assertEquals(0f, got[0][768], "in order, block 0's values reach the end");
        assertEquals(512f, got[1][768], "last to first, each block reads the input as it was");
    }
}
