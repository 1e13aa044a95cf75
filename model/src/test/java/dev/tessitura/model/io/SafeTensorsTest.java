package dev.tessitura.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
    @TempDir
    Path dir;

    static SafeTensors.F32 f32(int[] shape, float... data) {
        return new SafeTensors.F32(shape, data);
    }

    /** A file by hand: 8-byte little-endian header length, the header as given (not padded), then the data bytes. */
    static byte[] handBuilt(String header, float... data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (float f : data) b.putFloat(f);
        return b.array();
    }

    @Test
    void roundTrip() throws IOException {
        Map<String, SafeTensors.F32> t = new LinkedHashMap<>();
        t.put("W", f32(new int[] {2, 3}, 1, -2, 3.5f, Float.MIN_VALUE, Float.MAX_VALUE, -0f));
        t.put("bh", f32(new int[] {3}, 0.1f, 0.2f, Float.NaN));
        t.put("empty", f32(new int[] {0, 4}));
        t.put("scalar", f32(new int[] {}, 7));
        t.put("x", f32(new int[] {2, 1, 2}, 1, 2, 3, 4));
        Map<String, String> meta = Map.of("model", "rbm", "rng.position", "123456789012",
                "odd \"key\"", "back\\slash\nnewline\ttab \u0001 caf\u00e9 \u266b");
        Path f = dir.resolve("ck.safetensors");
        SafeTensors.write(f, meta, t);
        SafeTensors.Contents c = SafeTensors.read(f);
        assertEquals(meta, c.metadata());
        assertEquals(List.of("W", "bh", "empty", "scalar", "x"), List.copyOf(c.tensors().keySet()));
        for (String name : t.keySet()) {
            assertArrayEquals(t.get(name).shape(), c.tensors().get(name).shape(), name);
            // bit for bit, NaN and -0 included
            float[] want = t.get(name).data(), got = c.tensors().get(name).data();
            assertEquals(want.length, got.length);
            for (int i = 0; i < want.length; i++) assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), name + "[" + i + "]");
        }
        // (8 + N) % 8 == 0 and no temporary file is left behind
        long n = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }

    /** The exact bytes: header JSON with names sorted, padded with spaces to 8, then the data in name order. */
    @Test
    void byteLayoutMatchesHandBuiltFile() throws IOException {
        Map<String, SafeTensors.F32> t = new LinkedHashMap<>();
        t.put("b", f32(new int[] {1}, 3));
        t.put("a", f32(new int[] {2}, 1, 2));
        Path f = dir.resolve("layout.safetensors");
        SafeTensors.write(f, Map.of("k", "v"), t);
        String json = "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertEquals(133, json.length());   // padded with 3 spaces to 136
        assertArrayEquals(handBuilt(json + "   ", 1, 2, 3), Files.readAllBytes(f));

        SafeTensors.write(f, Map.of(), Map.of("ab", f32(new int[] {1}, 5)));
        String json2 = "{\"ab\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertEquals(55, json2.length());
        assertArrayEquals(handBuilt(json2 + " ", 5), Files.readAllBytes(f));
        byte[] bytes = Files.readAllBytes(f);
        assertEquals(56, ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong());
        assertEquals(0x40a00000, ByteBuffer.wrap(bytes, 64, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());   // 5.0f
    }

    /** Files from other writers: whitespace, any key order, data not in name order, no metadata. */
    @Test
    void readsOtherWritersLayouts() throws IOException {
        String json = "{ \"z\" : { \"shape\" : [ 1 ], \"data_offsets\" : [ 0, 4 ], \"dtype\" : \"F32\" },\n"
                + "  \"a\" : { \"data_offsets\" : [4, 12], \"dtype\" : \"F32\", \"shape\" : [2, 1] } }";
        Path f = dir.resolve("other.safetensors");
        Files.write(f, handBuilt(json, 9, 1, 2));
        SafeTensors.Contents c = SafeTensors.read(f);
        assertTrue(c.metadata().isEmpty());
        assertArrayEquals(new float[] {9}, c.tensors().get("z").data());
        assertArrayEquals(new float[] {1, 2}, c.tensors().get("a").data());
        assertArrayEquals(new int[] {2, 1}, c.tensors().get("a").shape());
    }

    private void assertCorrupt(byte[] bytes, String expected) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        Files.write(f, bytes);
        CheckpointFormatException e = assertThrows(CheckpointFormatException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), "'" + e.getMessage() + "' should say '" + expected + "'");
        assertEquals(f, e.file());
    }

    static String entry(String name, String dtype, String shape, long begin, long end) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + begin + "," + end + "]}";
    }

    @Test
    void corruptFilesRaiseTypedErrors() throws IOException {
        assertCorrupt(new byte[5], "file too short: 5 bytes");
        assertCorrupt(new byte[0], "file too short: 0 bytes");
        byte[] longHeader = handBuilt("{}");
        ByteBuffer.wrap(longHeader).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
        assertCorrupt(longHeader, "header length 1000 exceeds the 2 bytes");
        byte[] absurd = handBuilt("{}");
        ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putLong(0, -8);   // 2^64 - 8 unsigned
        assertCorrupt(absurd, "header length 18446744073709551608 exceeds");
        assertCorrupt(handBuilt("{\"a\":{\"dtype\":"), "bad JSON header at character 14");
        assertCorrupt(handBuilt("{\"a\":1.5}"), "only integers");
        assertCorrupt(handBuilt("{\"a\" 1}"), "expected ':'");
        assertCorrupt(handBuilt("{} x"), "after the header object");
        assertCorrupt(handBuilt("[" + "[".repeat(20) + "]".repeat(20) + "]"), "nested more than");
        assertCorrupt(handBuilt("[1]"), "header is not a JSON object");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[1]", 0, 4) + "," + entry("a", "F32", "[1]", 4, 8) + "}", 1, 2),
                "duplicate key \"a\"");
        byte[] notUtf8 = handBuilt("{\"x\":\"..\"}");
        notUtf8[8 + 7] = (byte) 0xff;
        assertCorrupt(notUtf8, "not valid UTF-8");
        assertCorrupt(handBuilt("{" + entry("a", "F16", "[2]", 0, 4) + "}", 1), "tensor \"a\": unsupported dtype F16");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[3]", 0, 8) + "}", 1, 2), "shape [3] needs 12 bytes but data_offsets [0, 8] hold 8");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[3]", 0, 12) + "}", 1, 2), "data_offsets [0, 12] lie outside the data section of 8 bytes");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[1]", 8, 4) + "}", 1, 2), "lie outside");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "F32", "[1]", 4, 8) + "}", 1, 2),
                "tensors \"a\" and \"b\" overlap at data byte 4");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[1]", 4, 8) + "}", 1, 2), "data bytes [0, 4) belong to no tensor");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[1]", 0, 4) + "}", 1, 2), "has 8 bytes but the tensors end at byte 4");
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[-1]", 0, 4) + "}", 1), "has a dimension that is not an integer");
        assertCorrupt(handBuilt("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 1), "missing \"shape\"");
        assertCorrupt(handBuilt("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 1), "must be [begin, end]");
        assertCorrupt(handBuilt("{\"a\":[1]}"), "tensor \"a\": entry is not an object");
        assertCorrupt(handBuilt("{\"__metadata__\":{\"k\":1}}"), "__metadata__ value of \"k\" is not a string");
        // a shape whose element count overflows 64 bits is "too many", not a wrapped-around small number
        assertCorrupt(handBuilt("{" + entry("a", "F32", "[2147483647,2147483647,2147483647,4]", 0, 4) + "}", 1), "needs too many bytes");
    }

    /** A write that fails midway (here: after the first tensor) leaves the previous file as it was, and no litter. */
    @Test
    void failedWriteKeepsTheOldFile() throws IOException {
        Path f = dir.resolve("keep.safetensors");
        SafeTensors.write(f, Map.of("version", "1"), Map.of("a", f32(new int[] {2}, 1, 2)));
        byte[] before = Files.readAllBytes(f);
        Map<String, SafeTensors.F32> next = Map.of("a", f32(new int[] {2}, 3, 4), "b", f32(new int[] {1}, 5));
        IOException e = assertThrows(IOException.class, () -> SafeTensors.write(f, Map.of("version", "2"), next, name -> {
            throw new IOException("disk full (simulated) after " + name);
        }));
        assertEquals("disk full (simulated) after a", e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals("1", SafeTensors.read(f).metadata().get("version"));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
        // and a successful write replaces it
        SafeTensors.write(f, Map.of("version", "2"), next);
        assertEquals("2", SafeTensors.read(f).metadata().get("version"));
        assertArrayEquals(new float[] {5}, SafeTensors.read(f).tensors().get("b").data());
    }

    @Test
    void writeIntoMissingDirectoryFailsCleanly() {
        Path f = dir.resolve("no/such/dir/x.safetensors");
        assertThrows(IOException.class, () -> SafeTensors.write(f, Map.of(), Map.of("a", f32(new int[] {1}, 1))));
        assertFalse(Files.exists(dir.resolve("no")));
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(IllegalArgumentException.class, () -> f32(new int[] {2, 2}, 1, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> f32(new int[] {-1}));
        Path f = dir.resolve("x.safetensors");
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of(), Map.of("__metadata__", f32(new int[] {1}, 1))));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(f, Map.of(), Map.of("", f32(new int[] {1}, 1))));
    }
}
