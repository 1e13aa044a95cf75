package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The whole GPU suite with CudaBackend on the host emulator of the kernels ({@link HostDevice}) instead of a GPU:
 * runs in every build where g++ is on the PATH. It checks all of CudaBackend and the kernels' logic except the
 * hardware (see HostDevice for what that leaves out). Not part of GpuSuite (tag "emulated").
 */
@Tag("emulated")
class CudaBackendEmulatedTest extends CudaBackendGpuTest {
    /** Hides GpuTestBase.open(): the backend on the host emulator. */
    @BeforeAll
    static void open() {
        openEmulated();
    }

    /** The host's exp and tanh on both sides, sums in the same order: every bit equal. */
    @Override
    void sameSums(float[] want, float[] got, double atol, double rtol, String what) {
        assertArrayEquals(want, got, what);
    }
}
