package dev.tessitura.engine.cuda;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** {@link ModelsGpuTest} with CudaBackend on the host emulator of the kernels ({@link HostDevice}). */
@Tag("emulated")
class ModelsEmulatedTest extends ModelsGpuTest {
    @BeforeAll
    static void open() {
        unavailable = HostDevice.unavailableReason();
        if (unavailable.isEmpty()) gpu = new CudaBackend(HostDevice.open());
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
        gpu = null;
    }
}
