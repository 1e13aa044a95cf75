package dev.tessitura.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads and writes the safetensors format (https://github.com/huggingface/safetensors), float32 tensors only:
 * <pre>
 *   8 bytes    N, the header length, unsigned little-endian
 *   N bytes    UTF-8 JSON: {"__metadata__": {string: string}, name: {"dtype": "F32", "shape": [...],
 *              "data_offsets": [begin, end]}, ...}, padded with spaces so that N is a multiple of 8
 *   the rest   the tensors' bytes, little-endian, each at [begin, end) counted from the end of the header
 * </pre>
 * Written with tensors in name order; read in any order, as long as every tensor is F32 (other dtypes are rejected
 * by name). The layout follows the format's specification; no test here runs the Python library against it.
 *
 * <p>Writes are atomic: the bytes go to a temporary file in the same directory, are forced to disk
 * ({@link FileChannel#force}), and the file is then renamed over the target ({@code ATOMIC_MOVE}, or a plain replace
 * where the file system cannot). A crash or an exception at any point leaves the old file, or none, never a torn one.
 *
 * <p>Reading validates everything before trusting it (file too short, header length beyond the file, bad JSON, a
 * dtype other than F32, shape and byte length disagreeing, offsets outside the data, overlapping or leaving holes)
 * and raises {@link CheckpointFormatException} naming the file and the problem.
 */
public final class SafeTensors {
    /** Header length beyond which a file is rejected outright (the reference implementation's limit is 100 MB). */
    static final long MAX_HEADER = 100L << 20;
    static final String METADATA = "__metadata__";

    private SafeTensors() {}

    /** A float32 tensor on the host: its shape (rank 0 or more) and its elements in row-major order. */
    public record F32(int[] shape, float[] data) {
        public F32 {
            long n = 1;
            for (int d : shape) {
                if (d < 0) throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
                n *= d;
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
            }
            shape = shape.clone();
        }

        @Override
        public int[] shape() { return shape.clone(); }
    }

    /** What a file holds: its metadata and its tensors, each map in name order. */
    public record Contents(Map<String, String> metadata, Map<String, F32> tensors) {}

    /** Called by the writer after each tensor's bytes; lets tests make a write fail midway. */
    interface AfterTensor {
        void written(String name) throws IOException;
    }

    /** Writes tensors and metadata to file atomically (see the class comment); replaces any existing file. */
    public static void write(Path file, Map<String, String> metadata, Map<String, F32> tensors) throws IOException {
        write(file, metadata, tensors, name -> {});
    }

    static void write(Path file, Map<String, String> metadata, Map<String, F32> tensors, AfterTensor hook) throws IOException {
        Map<String, F32> sorted = new TreeMap<>(tensors);
        for (String name : sorted.keySet()) {
            if (name.isEmpty() || name.equals(METADATA)) throw new IllegalArgumentException("safetensors: bad tensor name '" + name + "'");
        }
        byte[] header = header(metadata, sorted);
        Path dir = file.toAbsolutePath().getParent();
        // a fresh name in the same directory, created with the default permissions (createTempFile's owner-only
        // mode would stick to the checkpoint after the rename)
        Path tmp = dir.resolve("." + file.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        Files.createFile(tmp);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
                writeFully(ch, len);
                writeFully(ch, ByteBuffer.wrap(header));
                ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
                for (Map.Entry<String, F32> e : sorted.entrySet()) {
                    float[] d = e.getValue().data();
                    for (int i = 0; i < d.length; ) {
                        buf.clear();
                        int n = Math.min(d.length - i, buf.capacity() / 4);
                        buf.asFloatBuffer().put(d, i, n);
                        buf.limit(n * 4);
                        writeFully(ch, buf);
                        i += n;
                    }
                    hook.written(e.getKey());
                }
                ch.force(true);   // the data is on disk before the rename makes it visible
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Makes the rename itself durable where the platform allows opening a directory (Linux, macOS). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows cannot open a directory; the rename is still atomic, only its durability is the OS's to decide
        }
    }

    /** The header JSON, space-padded to a multiple of 8 bytes. */
    static byte[] header(Map<String, String> metadata, Map<String, F32> sorted) {
        StringBuilder b = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            HeaderJson.quote(b, METADATA);
            b.append(":{");
            boolean first = true;
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                if (!first) b.append(',');
                first = false;
                HeaderJson.quote(b, e.getKey());
                b.append(':');
                HeaderJson.quote(b, e.getValue());
            }
            b.append('}');
        }
        long at = 0;
        for (Map.Entry<String, F32> e : sorted.entrySet()) {
            if (b.length() > 1) b.append(',');
            HeaderJson.quote(b, e.getKey());
            b.append(":{\"dtype\":\"F32\",\"shape\":[");
            int[] shape = e.getValue().shape();
            for (int i = 0; i < shape.length; i++) b.append(i > 0 ? "," : "").append(shape[i]);
            long end = at + 4L * e.getValue().data().length;
            b.append("],\"data_offsets\":[").append(at).append(',').append(end).append("]}");
            at = end;
        }
        b.append('}');
        byte[] raw = b.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (raw.length + 7) & ~7;
        byte[] out = Arrays.copyOf(raw, padded);
        Arrays.fill(out, raw.length, padded, (byte) ' ');
        return out;
    }

    /** Reads and validates a file; every format problem is a {@link CheckpointFormatException}. */
    public static Contents read(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(file, "file too short: " + size + " bytes, a safetensors file starts with an 8-byte header length");
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0, file);
            long n = len.getLong(0);
            if (n < 0 || n > size - 8) {
                throw bad(file, "header length " + Long.toUnsignedString(n) + " exceeds the " + (size - 8) + " bytes after the length field");
            }
            if (n > MAX_HEADER) throw bad(file, "header length " + n + " is over the " + MAX_HEADER + "-byte limit");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8, file);
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb.flip()).toString();
            } catch (CharacterCodingException e) {
                throw bad(file, "header is not valid UTF-8");
            }
            Object root;
            try {
                root = HeaderJson.parse(text);
            } catch (HeaderJson.Error e) {
                throw bad(file, "bad JSON header at character " + e.offset + " (file byte " + (8 + e.offset) + " for ASCII): " + e.getMessage());
            }
            if (!(root instanceof Map<?, ?> top)) throw bad(file, "header is not a JSON object");
            long dataLen = size - 8 - n;
            Map<String, String> metadata = new TreeMap<>();
            List<Slot> slots = new ArrayList<>();
            for (Map.Entry<?, ?> e : top.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals(METADATA)) {
                    if (!(e.getValue() instanceof Map<?, ?> m)) throw bad(file, METADATA + " is not an object");
                    for (Map.Entry<?, ?> me : m.entrySet()) {
                        if (!(me.getValue() instanceof String v)) throw bad(file, METADATA + " value of \"" + me.getKey() + "\" is not a string");
                        metadata.put((String) me.getKey(), v);
                    }
                    continue;
                }
                slots.add(slot(file, name, e.getValue(), dataLen));
            }
            checkTiling(file, slots, dataLen);
            if (dataLen > Integer.MAX_VALUE) throw bad(file, "data section of " + dataLen + " bytes is over the 2 GiB this reader handles");
            ByteBuffer data = ByteBuffer.allocate((int) dataLen).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, data, 8 + n, file);
            Map<String, F32> tensors = new TreeMap<>();
            for (Slot s : slots) {
                float[] d = new float[(int) ((s.end - s.begin) / 4)];
                data.slice((int) s.begin, (int) (s.end - s.begin)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(d);
                tensors.put(s.name, new F32(s.shape, d));
            }
            return new Contents(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors));
        }
    }

    /** One tensor's entry in the header, validated on its own. */
    private record Slot(String name, int[] shape, long begin, long end) {}

    private static Slot slot(Path file, String name, Object entry, long dataLen) throws CheckpointFormatException {
        String where = "tensor \"" + name + "\": ";
        if (!(entry instanceof Map<?, ?> m)) throw bad(file, where + "entry is not an object");
        for (Object key : m.keySet()) {
            if (!key.equals("dtype") && !key.equals("shape") && !key.equals("data_offsets")) {
                throw bad(file, where + "unexpected field \"" + key + "\"");
            }
        }
        if (!(m.get("dtype") instanceof String dtype)) throw bad(file, where + "missing \"dtype\"");
        if (!dtype.equals("F32")) throw bad(file, where + "unsupported dtype " + dtype + " (only F32 is read)");
        if (!(m.get("shape") instanceof List<?> shapeList)) throw bad(file, where + "missing \"shape\" array");
        int[] shape = new int[shapeList.size()];
        long count = 1;          // capped once past 2^31 elements, so it cannot overflow
        boolean empty = false;
        for (int i = 0; i < shape.length; i++) {
            if (!(shapeList.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw bad(file, where + "shape " + shapeList + " has a dimension that is not an integer in [0, 2^31)");
            }
            shape[i] = (int) (long) d;
            empty |= d == 0;
            if (count <= Integer.MAX_VALUE) count *= d;
        }
        if (empty) count = 0;
        if (!(m.get("data_offsets") instanceof List<?> off) || off.size() != 2
                || !(off.get(0) instanceof Long begin) || !(off.get(1) instanceof Long end)) {
            throw bad(file, where + "\"data_offsets\" must be [begin, end]");
        }
        if (begin < 0 || end < begin || end > dataLen) {
            throw bad(file, where + "data_offsets [" + begin + ", " + end + "] lie outside the data section of " + dataLen + " bytes");
        }
        if (count > Integer.MAX_VALUE || count * 4 != end - begin) {
            throw bad(file, where + "shape " + Arrays.toString(shape) + " needs " + (count > Integer.MAX_VALUE ? "too many" : count * 4)
                    + " bytes but data_offsets [" + begin + ", " + end + "] hold " + (end - begin));
        }
        return new Slot(name, shape, begin, end);
    }

    /** The tensors must cover the data section exactly: no overlap, no hole, nothing left over (as the spec says). */
    private static void checkTiling(Path file, List<Slot> slots, long dataLen) throws CheckpointFormatException {
        List<Slot> s = new ArrayList<>(slots);
        s.sort((a, b) -> a.begin != b.begin ? Long.compare(a.begin, b.begin) : Long.compare(a.end, b.end));
        long at = 0;
        String prev = null;
        for (Slot t : s) {
            if (t.begin < at) throw bad(file, "tensors \"" + prev + "\" and \"" + t.name + "\" overlap at data byte " + t.begin);
            if (t.begin > at) throw bad(file, "data bytes [" + at + ", " + t.begin + ") belong to no tensor (a hole before \"" + t.name + "\")");
            at = t.end;
            prev = t.name;
        }
        if (at != dataLen) throw bad(file, "the data section has " + dataLen + " bytes but the tensors end at byte " + at);
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, Path file) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            if (r < 0) throw bad(file, "file ended at byte " + p + " while reading");
            p += r;
        }
    }

    private static CheckpointFormatException bad(Path file, String problem) {
        return new CheckpointFormatException(file, problem);
    }
}
