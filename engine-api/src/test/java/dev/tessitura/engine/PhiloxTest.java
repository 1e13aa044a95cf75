package dev.tessitura.engine;

import static org.junit.jupiter.api.Assertions.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.junit.jupiter.api.Test;

class PhiloxTest {

    /** The published known-answer vectors (copied from ../shared/reference/philox4x32_10_kat.txt). */
    @Test
    void reproducesKnownAnswers() throws IOException {
        int checked = 0;
        try (var in = new BufferedReader(new InputStreamReader(
                Objects.requireNonNull(getClass().getResourceAsStream("/philox4x32_10_kat.txt")), StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] parts = line.split("\\|");
                int[] c = words(parts[0]), k = words(parts[1]), want = words(parts[2]);
                int[] got = new int[4];
                Philox.block(c[0], c[1], c[2], c[3], k[0], k[1], got);
                assertArrayEquals(want, got, line);
                checked++;
            }
        }
        assertEquals(3, checked);
    }

    @Test
    void addressingSplitsSeedStreamAndBlockIntoWords() {
        long seed = 0x299f31d0a4093822L, stream = 0x03707344_13198a2eL, block = 0x85a308d3_243f6a88L;
        int[] got = new int[4];
        Philox.block(seed, stream, block, got);
        // third KAT vector: counter 243f6a88 85a308d3 13198a2e 03707344, key a4093822 299f31d0
        assertArrayEquals(new int[] {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}, got);
    }

    @Test
    void uniformUsesTop24Bits() {
        assertEquals(0f, Philox.toUniform(0x000000FF));
        assertEquals(0x1.fffffep-1f, Philox.toUniform(0xFFFFFFFF));
        assertEquals(0.5f, Philox.toUniform(0x80000000));
    }

    @Test
    void drawsAreIndependentOfChunking() {
        float[] whole = new float[103];
        Philox.uniforms(7, 3, 10, whole, 0, 103);
        float[] parts = new float[103];
        Philox.uniforms(7, 3, 10, parts, 0, 40);       // blocks 10..19
        Philox.uniforms(7, 3, 20, parts, 40, 63);      // blocks 20..35
        assertArrayEquals(whole, parts);
    }

    @Test
    void rngTakesWholeBlocks() {
        Rng r = new Rng(1, 2);
        assertEquals(0, r.take(5));
        assertEquals(2, r.take(4));
        assertEquals(3, r.take(0));
        assertEquals(3, r.position());
        assertThrows(IllegalArgumentException.class, () -> r.take(-1));
    }

    private static int[] words(String s) {
        String[] t = s.trim().split("\\s+");
        int[] w = new int[t.length];
        for (int i = 0; i < t.length; i++) w[i] = Integer.parseUnsignedInt(t[i], 16);
        return w;
    }
}
