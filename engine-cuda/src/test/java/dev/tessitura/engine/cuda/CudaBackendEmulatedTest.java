package dev.tessitura.engine.cuda;

import dev.tessitura.engine.cpu.ScalarBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The whole GPU suite with CudaBackend on the host emulator of the kernels ({@link HostDevice}) instead of a GPU:
 * runs in every build where g++ is on the PATH. It checks all of CudaBackend and the kernels' logic except the
 * hardware (see HostDevice for what that leaves out). Not part of GpuSuite (tag "emulated").
 */
@Tag("emulated")
class CudaBackendEmulatedTest extends CudaBackendGpuTest {
    @BeforeAll
    static void open() {
        unavailable = HostDevice.unavailableReason();
        if (unavailable.isEmpty()) {
            gpu = new CudaBackend(HostDevice.open());
            cpu = new ScalarBackend();
        }
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
        gpu = null;
    }
}
