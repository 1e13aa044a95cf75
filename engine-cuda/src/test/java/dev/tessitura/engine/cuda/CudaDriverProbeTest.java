package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class CudaDriverProbeTest {
    @Test
    void missingLibraryIsReportedByName() {
        CudaDriverProbe.Result r = CudaDriverProbe.probe("libcuda-does-not-exist.so.1");
        assertEquals("libcuda-does-not-exist.so.1 not found (no NVIDIA driver on this machine)", r.problem().orElseThrow());
        assertEquals(0, r.devices());
    }

    @Test
    void providerAlwaysGivesAReasonUntilTheBackendExists() {
        CudaProvider p = new CudaProvider();
        String why = p.unavailableReason().orElseThrow();
        assertFalse(why.isBlank());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.create(null));
        assertTrue(e.getMessage().startsWith("cuda: "), e.getMessage());
    }
}
