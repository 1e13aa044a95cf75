package dev.tessitura.engine.cuda;

import dev.tessitura.engine.Storage;
import java.lang.ref.Cleaner;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A caching allocator of device memory keyed by size: cuMemAlloc synchronises the device, so freed blocks go to a
 * free list of their (rounded) size and are handed out again. Reuse is safe without waiting because every op runs
 * on the backend's one stream: work queued with the old owner finishes before work queued by the new one starts.
 * Storages are returned when they become unreachable (a {@link Cleaner} queues the block; the next allocation takes
 * it back on the caller's thread), scratch buffers explicitly with {@link #release}.
 */
final class DeviceAllocator {
    /** Sizes are rounded up to this many bytes (cuMemAlloc aligns to 256 anyway). */
    static final long GRANULE = 512;
    private static final Cleaner CLEANER = Cleaner.create();

    /** One device allocation. */
    record Block(long address, long bytes) {}

    /** A tensor's memory: a block holding {@code capacity} floats. */
    static final class DeviceStorage implements Storage {
        final Block block;
        private final long capacity;

        DeviceStorage(Block block, long capacity) {
            this.block = block;
            this.capacity = capacity;
        }

        @Override
        public long capacity() {
            return capacity;
        }
    }

    private final Device device;
    private final Map<Long, ArrayDeque<Block>> free = new HashMap<>();
    private final ConcurrentLinkedQueue<Block> released = new ConcurrentLinkedQueue<>();
    private long allocatedBytes, cachedBytes;
    private boolean closed;

    DeviceAllocator(Device device) {
        this.device = device;
    }

    static long rounded(long bytes) {
        return Math.max(GRANULE, (bytes + GRANULE - 1) / GRANULE * GRANULE);
    }

    /** A block of at least {@code bytes}, from the cache or from cuMemAlloc; on out-of-memory, empties the cache and retries. */
    Block allocate(long bytes) {
        if (closed) throw new IllegalStateException("cuda: the backend is closed");
        drainReleased();
        long size = rounded(bytes);
        ArrayDeque<Block> list = free.get(size);
        if (list != null && !list.isEmpty()) {
            cachedBytes -= size;
            Block b = list.pop();
            if (device.poisonsReuse()) device.fill32(b.address(), -1, size / Float.BYTES);   // NaN bytes
            return b;
        }
        long p = device.allocate(size);
        if (p == 0) {
            long dropped = cachedBytes;
            freeCached();
            p = device.allocate(size);
            if (p == 0) {
                throw new CudaException("cuda: out of device memory allocating " + size + " bytes (" + allocatedBytes
                        + " bytes in use, " + dropped + " cached bytes freed first); use smaller batches",
                        "CUDA_ERROR_OUT_OF_MEMORY");
            }
        }
        allocatedBytes += size;
        return new Block(p, size);
    }

    /** A storage of {@code floats} elements whose block returns to the cache when the storage is unreachable. */
    DeviceStorage storage(long floats) {
        Block b = allocate(floats * Float.BYTES);
        DeviceStorage s = new DeviceStorage(b, floats);
        CLEANER.register(s, () -> released.add(b));   // the action must not reference s
        return s;
    }

    /** Returns a block to the cache now (scratch buffers; the caller queued its last use already). */
    void release(Block b) {
        free.computeIfAbsent(b.bytes(), k -> new ArrayDeque<>()).push(b);
        cachedBytes += b.bytes();
    }

    private void drainReleased() {
        for (Block b; (b = released.poll()) != null; ) release(b);
    }

    /** cuMemFree every cached block (cuMemFree waits for the device). */
    void freeCached() {
        drainReleased();
        for (ArrayDeque<Block> list : free.values()) {
            for (Block b : list) {
                device.free(b.address());
                allocatedBytes -= b.bytes();
            }
        }
        free.clear();
        cachedBytes = 0;
    }

    /** Frees the cache; blocks still held by live tensors are freed with the context. */
    void close() {
        freeCached();
        closed = true;
    }

    long allocatedBytes() {
        return allocatedBytes;
    }

    long cachedBytes() {
        return cachedBytes;
    }
}
