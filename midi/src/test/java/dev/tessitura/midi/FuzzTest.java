package dev.tessitura.midi;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import javax.sound.midi.MidiSystem;
import org.junit.jupiter.api.Test;

/** Mutated MIDI files: every outcome is a clean result or a MidiFormatException, quickly. */
class FuzzTest {
    @Test
    void mutationsNeverCrashOrHang() throws Exception {
        Random r = new Random(2026);
        PianoRoll roll = RoundTripTest.random(r, 24, 0.08);
        byte[][] seeds = new byte[2][];
        for (int type = 0; type <= 1; type++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            MidiSystem.write(MidiWriter.toSequence(roll, new MidiWriter.Options(120, 80, 0, 2, false, type)), type, out);
            seeds[type] = out.toByteArray();
        }
        int[] outcomes = new int[2];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < 3000; i++) {
                byte[] b = mutate(seeds[i % 2], r);
                try {
                    NoteSequence s = MidiReader.read(b, Path.of("fuzz" + i + ".mid"), r.nextBoolean());
                    Quantizer.onBeats(s, 2, 21, 88);
                    outcomes[0]++;
                } catch (MidiFormatException e) {
                    assertTrue(e.getMessage().startsWith("fuzz" + i + ".mid: "), e.getMessage());
                    outcomes[1]++;
                } catch (IllegalArgumentException e) { // the documented frame cap
                    assertTrue(e.getMessage().contains("frames"), e.getMessage());
                    outcomes[0]++;
                }
            }
        });
        assertTrue(outcomes[0] > 100 && outcomes[1] > 100, Arrays.toString(outcomes));
    }

    static byte[] mutate(byte[] seed, Random r) {
        byte[] b = seed.clone();
        int kind = r.nextInt(4);
        switch (kind) {
            case 0 -> { for (int k = 1 + r.nextInt(4); k > 0; k--) b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8)); }
            case 1 -> b = Arrays.copyOf(b, r.nextInt(b.length));
            case 2 -> {
                int at = r.nextInt(b.length + 1), n = 1 + r.nextInt(8);
                byte[] c = new byte[b.length + n];
                System.arraycopy(b, 0, c, 0, at);
                for (int k = 0; k < n; k++) c[at + k] = (byte) r.nextInt(256);
                System.arraycopy(b, at, c, at + n, b.length - at);
                b = c;
            }
            default -> {
                int at = r.nextInt(b.length), n = Math.min(b.length - at, 1 + r.nextInt(8));
                byte[] c = new byte[b.length - n];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, at + n, c, at, b.length - at - n);
                b = c;
            }
        }
        return b;
    }
}
