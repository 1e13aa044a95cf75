package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/** {@link NadeGpuTest} on the host emulator of the kernels ({@link HostDevice}), in every build where g++ is on the PATH. */
@Tag("emulated")
class NadeEmulatedTest extends NadeGpuTest {
    /** Hides GpuTestBase.open(): the backend on the host emulator. */
    @BeforeAll
    static void open() {
        openEmulated();
    }

    /** The host's exp on both sides, sums in the same order: every bit equal. */
    @Override
    void same(float[] want, float[] got, String what) {
        assertArrayEquals(want, got, what);
    }
}
