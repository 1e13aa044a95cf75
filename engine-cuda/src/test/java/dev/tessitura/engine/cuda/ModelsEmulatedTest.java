package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** {@link ModelsGpuTest} with CudaBackend on the host emulator of the kernels ({@link HostDevice}). */
@Tag("emulated")
class ModelsEmulatedTest extends ModelsGpuTest {
    /** Hides GpuTestBase.open(): the backend on the host emulator. */
    @BeforeAll
    static void open() {
        openEmulated();
    }

    /**
     * An epoch of the paper's training (one chunk per update) waits for the device only to read its updates' costs,
     * once per 256 updates and once at the end, and allocates nothing after the first epoch: on a GPU no update waits
     * for the host. Every full chunk after the epoch's first two is one graph launch and three stream calls (the chunk
     * copied in, the Philox offset, the cost copied out) instead of about fifty. The emulator counts what a real
     * device cannot show a test.
     */
    @Test
    void anEpochWaitsOnlyToReadItsCosts() {
        HostDevice device = HostDevice.open();
        try (CudaBackend be = new CudaBackend(device)) {
            int notes = 12;
            List<PianoRoll> rolls = tunes(20, notes);
            RnnRbmTrainer tr = new RnnRbmTrainer(be, new RnnRbmTrainer.Config(10, 8, 3, 1, Optimizer.Kind.NESTEROV, 0.05f, 0.05f, 0.9f,
                    0f, 1f, false, 0, 2), notes);
            tr.trainEpoch(rolls, 0, null);
            long waits = device.waits(), allocations = device.allocations(), calls = device.streamCalls(), graphs = device.graphLaunches();
            tr.trainEpoch(rolls, 1, null);
            long updates = tr.framesPerEpoch(rolls);                       // chunks of one frame
            assertEquals((updates + 255) / 256, device.waits() - waits, updates + " updates");   // 2 for about 420
            assertEquals(0, device.allocations() - allocations, "allocations in the second epoch");
            // the first update runs op by op, the second is recorded (and run as a graph), the others are replays
            assertEquals(updates - 1, device.graphLaunches() - graphs, "graph launches");
            long perReplay = (device.streamCalls() - calls - 2 * 100) / (updates - 2);
            assertTrue(device.streamCalls() - calls <= 3 * (updates - 2) + 2 * 100, (device.streamCalls() - calls) + " stream calls");
            assertTrue(perReplay <= 3, perReplay + " stream calls per replay");
        }
    }
}
