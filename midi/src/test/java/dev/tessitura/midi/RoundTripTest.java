package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.Random;
import javax.sound.midi.MidiSystem;
import org.junit.jupiter.api.Test;

class RoundTripTest {
    static PianoRoll random(Random r, int frames, double p) {
        PianoRoll.Builder b = PianoRoll.builder(frames, 21, 88);
        for (int t = 0; t < frames; t++) for (int n = 21; n <= 108; n++) if (r.nextDouble() < p) b.set(t, n);
        return b.build();
    }

    static byte[] bytes(PianoRoll roll, MidiWriter.Options o) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MidiSystem.write(MidiWriter.toSequence(roll, o), o.type(), out);
        return out.toByteArray();
    }

    @Test
    void writingADenseLongPieceTakesLinearTime() {
        // 4,000 frames of ~42 notes each, every note re-struck: 336,000 events (48 s before events were added in time
        // order; well under a second now)
        PianoRoll roll = random(new Random(3), 4000, 0.48);
        var o = new MidiWriter.Options(120, 64, 0, 2, true, 1);
        javax.sound.midi.Sequence seq = assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> MidiWriter.toSequence(roll, o));
        assertEquals(2L * roll.noteCells() + 2, seq.getTracks()[1].size(), "every note's on and off, the program and the end");
    }

    @Test
    void rollToMidiToRollIsIdentity() throws Exception {
        Random r = new Random(7);
        int[] sizes = {0, 1, 3, 17, 64};
        for (int type = 0; type <= 1; type++) {
            for (boolean rearticulate : new boolean[] {false, true}) {
                for (int fpq : new int[] {1, 2, 4}) {
                    for (int frames : sizes) {
                        PianoRoll roll = random(r, frames, 0.1);
                        var o = new MidiWriter.Options(97, 64, 5, fpq, rearticulate, type);
                        NoteSequence s = MidiReader.read(bytes(roll, o), Path.of("rt.mid"), false);
                        assertEquals(roll, Quantizer.onBeats(s, fpq, 21, 88).roll(), "type " + type + " fpq " + fpq + " frames " + frames);
                    }
                }
            }
        }
    }

    @Test
    void heldAndRearticulatedNoteCounts() throws Exception {
        PianoRoll roll = PianoRoll.builder(4, 21, 88).set(0, 60).set(1, 60).set(2, 60).set(3, 64).build();
        assertEquals(2, MidiReader.read(bytes(roll, MidiWriter.Options.DEFAULT), Path.of("a"), false).notes().size());
        var re = new MidiWriter.Options(120, 80, 0, 2, true, 1);
        assertEquals(4, MidiReader.read(bytes(roll, re), Path.of("a"), false).notes().size());
    }
}
