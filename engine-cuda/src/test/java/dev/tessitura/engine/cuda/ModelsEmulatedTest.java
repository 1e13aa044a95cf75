package dev.tessitura.engine.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.lstm.LstmConfig;
import dev.tessitura.model.lstm.LstmTrainer;
import dev.tessitura.model.lstm.Minibatches;
import dev.tessitura.model.rnnrbm.RnnRbmConfig;
import dev.tessitura.model.rnnrbm.RnnRbmTrainer;
import java.util.List;
import java.util.function.IntConsumer;
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

    /** What the device counted over an epoch: host waits, allocations, stream calls (not replayed ones), graph launches. */
    private record Counts(long waits, long allocations, long calls, long graphs) {
        static Counts of(HostDevice d) {
            return new Counts(d.waits(), d.allocations(), d.streamCalls(), d.graphLaunches());
        }
    }

    /** Runs epochs 0 and 1 of a trainer; returns the counts of the second, when every workspace exists already. */
    private static Counts secondEpoch(HostDevice device, IntConsumer epoch) {
        epoch.accept(0);
        Counts before = Counts.of(device);
        epoch.accept(1);
        Counts after = Counts.of(device);
        return new Counts(after.waits - before.waits, after.allocations - before.allocations, after.calls - before.calls,
                after.graphs - before.graphs);
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
            RnnRbmTrainer tr = new RnnRbmTrainer(be, RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(1).withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f).withSeed(2), notes);
            Counts second = secondEpoch(device, e -> tr.trainEpoch(rolls, e, null));
            long updates = tr.framesPerEpoch(rolls);                       // chunks of one frame
            assertEquals((updates + 255) / 256, second.waits(), updates + " updates");   // 2 for about 420
            assertEquals(0, second.allocations(), "allocations in the second epoch");
            // the first update runs op by op, the second is recorded (and run as a graph), the others are replays
            assertEquals(updates - 1, second.graphs(), "graph launches");
            long perReplay = (second.calls() - 2 * 100) / (updates - 2);
            assertTrue(second.calls() <= 3 * (updates - 2) + 2 * 100, second.calls() + " stream calls");
            assertTrue(perReplay <= 3, perReplay + " stream calls per replay");
        }
    }

    /**
     * Batched mode (B = 4, chunks of 4): the second epoch copies its row table in (one synchronous copy), waits once to
     * read its costs, allocates nothing, and replays the recording for every full update after the first two (each
     * one gather, the Philox offset, the graph and the cost copied out).
     */
    @Test
    void aBatchedEpochGathersOnTheDeviceAndReplays() {
        HostDevice device = HostDevice.open();
        try (CudaBackend be = new CudaBackend(device)) {
            int notes = 12;
            List<PianoRoll> rolls = tunes(20, notes);
            RnnRbmTrainer tr = new RnnRbmTrainer(be, RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(4).withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f).withSeed(2).withBatch(4), notes);
            Counts second = secondEpoch(device, e -> tr.trainEpoch(rolls, e, null));
            int fullChunks = 0;
            for (PianoRoll r : rolls) fullChunks += r.frames() / 4;
            int full = fullChunks / 4;                                      // updates of four chunks of four frames
            assertTrue(full > 10, full + " full updates");
            assertEquals(1, second.waits(), "waits");
            assertEquals(0, second.allocations(), "allocations in the second epoch");
            assertEquals(full - 1, second.graphs(), "graph launches");
            long replays = full - 2, others = tr.framesPerEpoch(rolls) / 4 - full;   // at most as many other updates as this
            assertTrue(second.calls() <= 4 * replays + 200 * (others + 2), second.calls() + " stream calls");
        }
    }

    /**
     * A device that cannot capture the update: the trainer says so once and trains op by op from the same Rng
     * position, giving the bits of a trainer that never records (clipping at 1e30 keeps that one eager).
     */
    @Test
    void trainingGoesOnOpByOpWhereRecordingFails() {
        HostDevice device = HostDevice.open();
        device.refuseCaptures = true;
        try (CudaBackend be = new CudaBackend(device)) {
            int notes = 12;
            List<PianoRoll> rolls = tunes(8, notes);
            RnnRbmConfig cfg = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(4).withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f).withSeed(2);
            RnnRbmConfig eager = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(4).withOptimizer(Optimizer.Kind.NESTEROV).withLr(0.05f).withClipNorm(1e30f).withSeed(2);
            for (int batch : new int[] {1, 3}) {
                RnnRbmTrainer a = new RnnRbmTrainer(be, cfg.withBatch(batch), notes), b = new RnnRbmTrainer(be, eager.withBatch(batch), notes);
                for (int epoch = 0; epoch < 2; epoch++) {
                    assertEquals(b.trainEpoch(rolls, epoch, null), a.trainEpoch(rolls, epoch, null), "B = " + batch + ", epoch " + epoch);
                }
                assertArrayEquals(be.toArray(b.model.params), be.toArray(a.model.params), "B = " + batch);
            }
            assertEquals(0, device.graphLaunches());
        }
    }

    /**
     * An LSTM epoch (SGD, element-wise clipping) waits for the device only to read its costs (fewer than 256 updates:
     * once) and allocates nothing after the first epoch: each minibatch is gathered on the device.
     */
    @Test
    void anLstmEpochWaitsOnlyToReadItsCosts() {
        HostDevice device = HostDevice.open();
        try (CudaBackend be = new CudaBackend(device)) {
            int notes = 12;
            List<PianoRoll> rolls = tunes(20, notes);
            LstmTrainer tr = new LstmTrainer(be, LstmConfig.defaults().withHidden(new int[] {6, 5}).withMode(Minibatches.Mode.PACKED).withBatch(3).withSteps(7), notes);
            Counts second = secondEpoch(device, e -> tr.trainEpoch(rolls, e, null));
            assertEquals(1, second.waits(), "waits");
            assertEquals(0, second.allocations(), "allocations in the second epoch");
        }
    }

    /**
     * The LSTM-RBM (an LSTM stack as the RNN-RBM's recurrence) records its update too, one chunk or B per update:
     * replayed, it gives the bits of a twin that runs every update op by op (clipping at 1e30 keeps that one eager).
     */
    @Test
    void lstmRbmUpdatesAreRecordedToo() {
        HostDevice device = HostDevice.open();
        try (CudaBackend be = new CudaBackend(device)) {
            int notes = 12;
            List<PianoRoll> rolls = tunes(8, notes);
            for (int batch : new int[] {1, 3}) {
                RnnRbmConfig[] cfg = new RnnRbmConfig[2];
                for (int q = 0; q < 2; q++) {
                    cfg[q] = RnnRbmConfig.defaults().withNh(10).withNu(8).withK(3).withChunk(4).withLr(0.05f).withClipNorm(q == 0 ? 0f : 1e30f).withSeed(2).withLstmLayers(new int[] {6, 8}).withPretrainRnnLr(0.01f).withBatch(batch);
                }
                RnnRbmTrainer a = new RnnRbmTrainer(be, cfg[0], notes), b = new RnnRbmTrainer(be, cfg[1], notes);
                long graphs = device.graphLaunches();
                for (int epoch = 0; epoch < 2; epoch++) {
                    assertEquals(b.trainEpoch(rolls, epoch, null), a.trainEpoch(rolls, epoch, null), "B = " + batch + ", epoch " + epoch);
                }
                assertTrue(device.graphLaunches() - graphs > 4, "B = " + batch + ": " + (device.graphLaunches() - graphs) + " graph launches");
                assertArrayEquals(be.toArray(b.model.params), be.toArray(a.model.params), "B = " + batch);
            }
        }
    }
}
