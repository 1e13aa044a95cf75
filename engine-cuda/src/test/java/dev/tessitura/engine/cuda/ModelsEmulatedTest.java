package dev.tessitura.engine.cuda;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** {@link ModelsGpuTest} with CudaBackend on the host emulator of the kernels ({@link HostDevice}). */
@Tag("emulated")
class ModelsEmulatedTest extends ModelsGpuTest {
    /** Hides GpuTestBase.open(): the backend on the host emulator. */
    @BeforeAll
    static void open() {
        openEmulated();
    }
}
