package dev.tessitura.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.engine.Backend;
import dev.tessitura.model.io.SafeTensors;
import java.nio.file.Path;
import java.util.Map;

/** What every registry model's trainer must do: an epoch stopped between updates resumes from its checkpoint exactly. */
public final class ResumeCheck {
    private ResumeCheck() {}

    /**
     * Two epochs uninterrupted, against one epoch, a second stopped after a few updates, a checkpoint, and a trainer
     * resumed from it finishing that epoch: the same parameters, bit for bit.
     */
    public static <C> void stoppedEpochResumesBitForBit(ModelKind<C> kind, C config, Backend be, Path data, Path dir) throws Exception {
        Trainer whole = kind.trainer(be, config, data, 0, Report.QUIET);
        for (int e = 0; e < 2; e++) whole.trainEpoch(Position.start(e), () -> false, null);
        Trainer first = kind.trainer(be, config, data, 0, Report.QUIET);
        first.trainEpoch(Position.start(0), () -> false, null);
        int[] polls = {0};
        EpochResult part = first.trainEpoch(Position.start(1), () -> ++polls[0] > 3, null);
        assertFalse(part.completed(), kind.name() + ": the epoch stopped");
        Path ckpt = dir.resolve(kind.name() + "-stopped.safetensors");
        first.save(ckpt, part.at(), Map.of());
        Trainer resumed = kind.resume(be, SafeTensors.read(ckpt), config, data, 0, Report.QUIET);
        assertTrue(resumed.trainEpoch(part.at(), () -> false, null).completed());
        assertArrayEquals(be.toArray(whole.parameters()), be.toArray(resumed.parameters()), kind.name());
    }
}
