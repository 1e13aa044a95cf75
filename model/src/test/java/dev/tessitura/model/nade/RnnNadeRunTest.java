package dev.tessitura.model.nade;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import dev.tessitura.model.rnnrbm.RnnRbmTest;
import dev.tessitura.model.rnnrbm.RnnRbmTrainerTest;
import dev.tessitura.model.run.TrainingRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole runs of the registry's rnn-nade as `train` drives them ({@link TrainingRun}): stopped anywhere (during RNN or
 * NADE pretraining, an epoch, a validation) and resumed from the checkpoint left, as often as it takes, a run ends
 * with the bits of the run that was never stopped.
 */
class RnnNadeRunTest {
    @TempDir Path tmp;

    private Path data() throws Exception {
        List<PianoRoll> t = RnnRbmTrainerTest.tunes();
        Path p = tmp.resolve("tunes.pickle");
        DatasetWriters.write(new Dataset("tunes", t.subList(0, 4), t.subList(4, 5), t.subList(5, 6)), p);
        return p;
    }

    /** A stop request after every {@code every} polls. */
    private static TrainingRun.Stop every(int every) {
        int[] polls = {0};
        return new TrainingRun.Stop() {
            @Override public boolean requested() { return ++polls[0] % every == 0; }

            @Override public void saved() {}
        };
    }

    /** The run in dir to its end, stopped after every {@code every} polls (0: never) and resumed; its final checkpoint. */
    private static SafeTensors.Contents run(Path data, Path dir, RnnNadeConfig c, int every) throws Exception {
        java.nio.file.Files.createDirectories(dir);
        Backend be = RnnRbmTest.create("scalar");
        RnnNadeKind kind = RnnNadeKind.of(c);
        Trainer t = kind.trainer(be, c, data, 0, Report.QUIET);
        Position at = Position.start(0);
        int resumes = 0;
        while (new TrainingRun(t, kind.name(), dir, Map.of(), Report.QUIET).run(at, 3, 0, every == 0 ? TrainingRun.Stop.NEVER : every(every))
                == TrainingRun.Outcome.INTERRUPTED) {
            be.close();
            be = RnnRbmTest.create("scalar");
            SafeTensors.Contents saved = SafeTensors.read(dir.resolve(TrainingRun.CHECKPOINT));
            t = kind.resume(be, saved, kind.config(saved), data, 0, Report.QUIET);
            at = Position.fromMetadata(saved.metadata());
            if (++resumes > 200) throw new AssertionError("the run makes no progress when stopped every " + every + " polls");
        }
        be.close();
        return SafeTensors.read(dir.resolve(TrainingRun.CHECKPOINT));
    }

    @ParameterizedTest
    @ValueSource(strings = {"rnn", "nade"})
    void aRunStoppedAnywhereAndResumedEndsWithTheUninterruptedBits(String pretraining) throws Exception {
        Path data = data();
        RnnNadeConfig c = RnnNadeConfig.defaults().withNh(6).withNu(5).withChunk(9).withOptimizer(Optimizer.Kind.ADAM).withLr(0.01f)
                .withPretrainLr(0.01f).withSeed(3);
        c = pretraining.equals("rnn") ? c.withPretrainRnnEpochs(2) : c.withPretrainEpochs(2);
        SafeTensors.Contents want = run(data, tmp.resolve(pretraining + "-whole"), c, 0);
        for (int every : new int[] {3, 7}) {
            SafeTensors.Contents got = run(data, tmp.resolve(pretraining + "-every-" + every), c, every);
            assertEquals(want.metadata().get("epoch"), got.metadata().get("epoch"));
            for (String name : want.tensors().keySet()) {
                assertArrayEquals(want.tensors().get(name).data(), got.tensors().get(name).data(), name + ", stopped every " + every + " polls");
            }
        }
    }

    /** With --dropout the masks of a resumed run are the uninterrupted run's: the checkpoint keeps their Philox position. */
    @ParameterizedTest
    @ValueSource(strings = {"rnn-nade", "lstm-nade"})
    void aRunWithDropoutStoppedAnywhereAndResumedEndsWithTheUninterruptedBits(String kind) throws Exception {
        Path data = data();
        RnnNadeConfig c = RnnNadeConfig.defaults().withNh(6).withNu(5).withChunk(9).withOptimizer(Optimizer.Kind.ADAM).withLr(0.01f)
                .withPretrainLr(0.01f).withSeed(3).withDropout(0.3f);
        c = kind.equals("rnn-nade") ? c.withPretrainRnnEpochs(1) : c.withLstmLayers(new int[] {5, 4}).withSkip(true);
        SafeTensors.Contents want = run(data, tmp.resolve(kind + "-whole"), c, 0);
        assertEquals("0.3", want.metadata().get("dropout"));
        assertTrue(Long.parseLong(want.metadata().get("rng_block")) > 0, "masks were drawn");
        for (int every : new int[] {3, 7}) {
            SafeTensors.Contents got = run(data, tmp.resolve(kind + "-every-" + every), c, every);
            assertEquals(want.metadata().get("rng_block"), got.metadata().get("rng_block"));
            for (String name : want.tensors().keySet()) {
                assertArrayEquals(want.tensors().get(name).data(), got.tensors().get(name).data(), name + ", stopped every " + every + " polls");
            }
        }
    }

    /**
     * --init: a new run that starts where another left its parameters, with a fresh optimizer: its model before any
     * update is the source's, bit for bit; a different size or pretraining is refused.
     */
    @Test
    void aRunInitialisedFromACheckpointStartsWithItsParameters() throws Exception {
        Path data = data();
        RnnNadeConfig c = RnnNadeConfig.defaults().withNh(6).withLstmLayers(new int[] {5, 4}).withSkip(true).withChunk(9)
                .withOptimizer(Optimizer.Kind.ADAM).withLr(0.01f).withSeed(3).withAugment(true);
        SafeTensors.Contents source = run(data, tmp.resolve("source"), c, 0);
        RnnNadeConfig fineTune = c.withAugment(false).withLr(0.001f).withSeed(4);
        try (Backend be = RnnRbmTest.create("scalar")) {
            Trainer t = RnnNadeKind.LSTM_NADE.initialized(be, source, fineTune, data, 0, Report.QUIET);
            float[] got = be.toArray(t.parameters());
            RnnNade want = RnnNadeTrainer.load(be, source).model;
            assertArrayEquals(be.toArray(want.params), got);
            Trainer fresh = RnnNadeKind.LSTM_NADE.trainer(be, fineTune, data, 0, Report.QUIET);
            assertFalse(java.util.Arrays.equals(be.toArray(fresh.parameters()), got), "a new run's own initialisation differs");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> RnnNadeKind.LSTM_NADE.initialized(be, source, fineTune.withNh(7), data, 0, Report.QUIET));
            assertTrue(e.getMessage().contains("values, the model needs"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> RnnNadeKind.LSTM_NADE.initialized(be, source, fineTune.withPretrainRnnEpochs(1), data, 0, Report.QUIET));
            assertTrue(e.getMessage().contains("leave --pretrain and --pretrain-rnn out"), e.getMessage());
        }
    }
}
