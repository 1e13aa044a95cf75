package dev.tessitura.engine.cuda;

import dev.tessitura.engine.Backend;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;

/**
 * The GPU suite's classes: {@code gpu} is the cuda backend on device 0, or null with the reason in
 * {@code unavailable}, in which case every test is skipped with it. The emulated twins hide {@link #open()} to put
 * the backend on the host emulator instead. The classes run one after another, each opening and closing its own.
 */
@Tag("gpu")
abstract class GpuTestBase {
    static Backend gpu;
    static Optional<String> unavailable;

    @BeforeAll
    static void open() {
        unavailable = new CudaProvider().unavailableReason();
        if (unavailable.isEmpty()) gpu = new CudaProvider().create(null);
    }

    /** The host emulator's backend, for the emulated twins' open(). */
    static void openEmulated() {
        unavailable = HostDevice.unavailableReason();
        if (unavailable.isEmpty()) {
            HostDevice device = HostDevice.open();
            device.poisonReuse = true;     // fresh and reused device memory alike hold NaN until written
            device.reverseBlocks = true;   // and blocks run last to first: their order must not matter
            gpu = new CudaBackend(device);
        }
    }

    /** Per test rather than in open(), so that surefire lists every skipped test with the reason. */
    @BeforeEach
    void needsAGpu() {
        Assumptions.assumeTrue(gpu != null, () -> "GPU suite skipped: the cuda backend cannot run here: " + unavailable.orElse(""));
    }

    @AfterAll
    static void close() {
        if (gpu != null) gpu.close();
        gpu = null;
    }
}
