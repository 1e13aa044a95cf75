package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class CudaDriverProbeTest {
    @Test
    void missingLibraryIsReportedByName() {
        CudaDriverProbe.Result r = CudaDriverProbe.probe("libcuda-does-not-exist.so.1");
        assertEquals("libcuda-does-not-exist.so.1 not found (no NVIDIA driver on this machine)", r.problem().orElseThrow());
        assertEquals(0, r.devices());
    }

    @Test
    void anOldDriverIsToldWhatThePtxNeeds() {
        assertEquals("driver supports CUDA 12.4, but PTX built by nvcc 13 needs driver >= 580 (CUDA 13.0): update the NVIDIA driver",
                CudaDriverProbe.tooOld(12040));
    }

    @Test
    void providerChecksDriverThenKernelsThenCublas() {
        CudaDriverProbe.Result ok = new CudaDriverProbe.Result(13000, 1, Optional.empty());
        CudaDriverProbe.Result none = new CudaDriverProbe.Result(0, 0, Optional.of("libcuda.so.1 not found (no NVIDIA driver on this machine)"));
        assertEquals(none.problem(), CudaProvider.reason(none, false, false));
        assertEquals(Optional.of(CudaProvider.NO_KERNELS), CudaProvider.reason(ok, false, false));
        assertEquals(Optional.of(CudaProvider.NO_KERNELS), CudaProvider.reason(ok, false, true));
        assertEquals(Optional.of(CudaProvider.NO_CUBLAS), CudaProvider.reason(ok, true, false));
        assertEquals(Optional.empty(), CudaProvider.reason(ok, true, true));
        assertTrue(CudaProvider.NO_KERNELS.startsWith("kernels not built (nvcc was not found at build time)"));
        assertTrue(CudaProvider.NO_CUBLAS.contains("libcublas.so.13"));
    }

    /** On a machine without a usable GPU the provider gives a reason and refuses to create a backend. */
    @Test
    void providerWithoutAGpuSaysWhyAndRefuses() {
        CudaProvider p = new CudaProvider();
        CudaDriverProbe.Result driver = CudaDriverProbe.probe();
        org.junit.jupiter.api.Assumptions.assumeTrue(driver.problem().isPresent(), "this machine has a CUDA device");
        assertEquals(driver.problem(), p.unavailableReason());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.create(null));
        assertEquals("cuda: " + driver.problem().get(), e.getMessage());
    }
}
