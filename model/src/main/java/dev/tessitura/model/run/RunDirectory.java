package dev.tessitura.model.run;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A run directory held by one training at a time: an operating-system lock on DIR/.lock (released by the system when
 * the process ends, kill -9 included) makes a second training into the same directory fail at once with the first
 * one's process id. And what a checkpoint records about its data, so that a resume on other data is refused unless
 * asked for: the data's content hash (not its path: a moved file is the same data) and the number of training
 * sequences used.
 */
public final class RunDirectory implements AutoCloseable {
    /** Checkpoint header keys: the data's SHA-256, and --max-sequences (0: all). */
    public static final String DATA_SHA256 = "data_sha256", MAX_SEQUENCES = "max_sequences";

    private final FileChannel channel;
    private final FileLock lock;

    private RunDirectory(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Creates dir if needed and locks it; an error naming the holder when another training has it. */
    public static RunDirectory lock(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(".lock");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null;                                          // held by this very JVM
        }
        if (l == null) {
            String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
            ch.close();
            throw new IllegalStateException(dir + " is in use by another training" + (holder.isEmpty() ? "" : " (process " + holder + ")")
                    + ": wait for it to end, or choose another --out");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
        return new RunDirectory(ch, l);
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }

    /**
     * SHA-256 of a data set: a file's bytes, or for a folder every regular file under it in path order, each as its
     * relative path, a zero byte, its length and its bytes.
     */
    public static String sha256(Path data) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (Files.isDirectory(data)) {
            List<Path> files = new ArrayList<>();
            try (Stream<Path> s = Files.walk(data)) {
                s.filter(Files::isRegularFile).sorted().forEach(files::add);
            }
            for (Path f : files) {
                md.update(data.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                md.update((byte) 0);
                md.update(ByteBuffer.allocate(8).putLong(Files.size(f)).array());
                digest(md, f);
            }
        } else {
            digest(md, data);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void digest(MessageDigest md, Path f) throws IOException {
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
    }

    /**
     * Refuses a resume whose data differ from the checkpoint's (content or --max-sequences) unless {@code otherData};
     * a checkpoint that predates these keys is taken as it is.
     */
    public static void checkSameData(Map<String, String> saved, String sha256, int maxSequences, boolean otherData) {
        if (otherData) return;
        String was = saved.get(DATA_SHA256), wasMax = saved.get(MAX_SEQUENCES);
        if (was != null && !was.equals(sha256)) {
            throw new IllegalArgumentException("--data is not the data this run was trained on (SHA-256 " + sha256.substring(0, 12)
                    + "..., the checkpoint's " + was.substring(0, Math.min(12, was.length())) + "... from " + saved.getOrDefault("data", "?")
                    + "): give the same data, or --other-data to go on with these");
        }
        if (wasMax != null && !wasMax.equals(Integer.toString(maxSequences))) {
            throw new IllegalArgumentException("--max-sequences " + maxSequences + " is not the run's " + wasMax
                    + ": give the same, or --other-data to go on with these");
        }
    }
}
