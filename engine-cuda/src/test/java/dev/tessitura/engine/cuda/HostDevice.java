package dev.tessitura.engine.cuda;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A {@link Device} on the host: our CUDA kernels compiled by g++ (src/test/emu: cuda_host.h stands in for the CUDA
 * built-ins, emu.cpp runs a launch block by block with one fiber per GPU thread), "device memory" from malloc,
 * cuBLAS replaced by the column-major SGEMM definition. CudaBackend runs on it unchanged, so the GPU test suite
 * checks, without a GPU, everything but the hardware: each launch's argument list against the kernel's parameter
 * types (which cuLaunchKernel cannot check), launch shapes, Philox offsets, the GEMM mapping, the kernels' index
 * arithmetic and their use of shared memory and barriers.
 *
 * <p>What it cannot check: the PTX nvcc makes (nvcc's and g++'s math libraries may differ in an ulp, and -fmad=false
 * is g++'s -ffp-contract=off here), races between blocks or warps, anything about speed.
 */
@SuppressWarnings("restricted")   // native calls through FFM are the point of this class; the JVM runs with --enable-native-access
final class HostDevice implements Device {
    /** The emulated device's memory; an allocation beyond it is "out of memory", as on a GPU. */
    static final long CAPACITY = 8L << 30;
    /**
     * Bytes of a known pattern before and after every allocation, checked after every launch and SGEMM: a kernel
     * that writes outside its buffers is reported by name (what compute-sanitizer's memcheck does on a GPU, for
     * writes that land within this distance).
     */
    static final long GUARD = 1024;
    private static final long PATTERN = 0x5A5A_A5A5_DEAD_BEEFL;

    private static final Path SOURCES = Path.of("..", "kernels", "src", "main", "cuda");
    private static final Path EMU = Path.of("src", "test", "emu");
    private static final Path OUT = Path.of("target", "emu");
    private static final Pattern KERNEL = Pattern.compile("extern \"C\" __global__ void (k_\\w+)\\s*\\(");

    private static Library library;          // built and loaded once per JVM
    private static Optional<String> unavailable;

    private final Library lib;
    private final TreeMap<Long, Long> blocks = new TreeMap<>();   // address -> bytes
    private long allocated;

    private HostDevice(Library lib) {
        this.lib = lib;
    }

    /** A host device, or why there cannot be one here (no g++, no kernel sources, a build error). */
    static synchronized Optional<String> unavailableReason() {
        if (unavailable == null) {
            try {
                library = Library.build();
                unavailable = Optional.empty();
            } catch (IllegalStateException e) {
                unavailable = Optional.of(e.getMessage());
            }
        }
        return unavailable;
    }

    static HostDevice open() {
        Optional<String> why = unavailableReason();
        if (why.isPresent()) throw new IllegalStateException(why.get());
        return new HostDevice(library);
    }

    /** The kernels the emulator was built with, by name, with their parameter letters (see emu.cpp). */
    List<String> kernels() {
        return lib.names;
    }

    /** Kernel {@code name}'s parameter letters: p pointer, i int, u unsigned, l long long, L unsigned long long, f float. */
    Optional<String> signature(String name) {
        return lib.signature(name);
    }

    @Override public String describe() { return "host emulator of the kernels (g++), not a GPU"; }
    @Override public int maxSharedBytes() { return lib.sharedBytes; }
    @Override public void enter() {}
    /** Counts the waits (every launch has finished when launch returns), for tests of how often a caller waits. */
    @Override public void synchronize() {
        notCapturing("cuStreamSynchronize");
        waits++;
    }

    // ---------------------------------------------------------------- stream capture: the stream's work recorded as closures

    private List<Runnable> captured;   // the stream's work while capturing, else null
    private boolean replaying;
    private long streamCalls, graphLaunches;

    /** Queues op in the capture, if one is on (then the caller returns); counts the caller's stream calls otherwise. */
    private boolean queued(Runnable op) {
        if (!replaying) streamCalls++;
        if (captured == null) return false;
        captured.add(op);
        return true;
    }

    /** What cuStreamBeginCapture makes an error on a capturing stream: a wait or a synchronous copy. */
    private void notCapturing(String call) {
        if (captured != null) {
            throw new CudaException("cuda (host emulator): " + call + " while the stream is being captured", "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
        }
    }

    @Override
    public void beginCapture() {
        if (captured != null) throw new CudaException("cuda (host emulator): cuStreamBeginCapture: already capturing", "CUDA_ERROR_ILLEGAL_STATE");
        captured = new ArrayList<>();
    }

    /**
     * Runs each launch's blocks last to first: a kernel whose result depends on the order its blocks run in (a race
     * between blocks, which a GPU may run in any order or at once) then gives other results than in the default order.
     */
    boolean reverseBlocks;

    /** Has the allocator fill every block it hands out again with NaN bytes (see Device#poisonsReuse). */
    boolean poisonReuse;

    @Override
    public boolean poisonsReuse() {
        return poisonReuse;
    }

    /** Makes every capture fail at its end, as a driver that cannot capture some call would (for tests of the fallback). */
    boolean refuseCaptures;

    @Override
    public Graph endCapture() {
        if (captured == null) throw new CudaException("cuda (host emulator): cuStreamEndCapture: not capturing", "CUDA_ERROR_ILLEGAL_STATE");
        List<Runnable> ops = List.copyOf(captured);
        captured = null;
        if (refuseCaptures) {
            throw new CudaException("cuda (host emulator): cuStreamEndCapture failed with CUDA_ERROR_STREAM_CAPTURE_INVALIDATED",
                    "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
        }
        return new Graph() {
            private boolean closed;

            @Override
            public void launch() {
                if (closed) throw new CudaException("cuda (host emulator): cuGraphLaunch of a destroyed graph", "CUDA_ERROR_INVALID_VALUE");
                if (captured != null) throw new CudaException("cuda (host emulator): cuGraphLaunch while capturing", "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
                graphLaunches++;
                replaying = true;
                try {
                    ops.forEach(Runnable::run);
                } finally {
                    replaying = false;
                }
            }

            @Override
            public void close() {
                closed = true;
            }
        };
    }

    /** Launches, fills, device copies and SGEMMs issued by the caller so far (not those a graph replays). */
    long streamCalls() { return streamCalls; }

    /** Graph launches so far. */
    long graphLaunches() { return graphLaunches; }

    private long waits, allocations;

    /** synchronize() calls so far: the host's waits for the device (copyToHost and the reductions make one each). */
    long waits() { return waits; }

    /** allocate() calls so far (cuMemAlloc, which synchronises a real device). */
    long allocations() { return allocations; }

    @Override
    public long allocate(long bytes) {
        allocations++;
        if (allocated + bytes > CAPACITY) return 0;
        long raw = lib.malloc(bytes + 2 * GUARD);
        if (raw == 0) return 0;
        long p = raw + GUARD;
        blocks.put(p, bytes);
        allocated += bytes;
        guards(p, bytes).forEach(g -> { for (long i = 0; i < GUARD / 8; i++) g.setAtIndex(ValueLayout.JAVA_LONG, i, PATTERN); });
        memory(p, bytes).fill((byte) 0xff);   // cuMemAlloc's memory holds garbage: here NaN, so that a read before a write shows
        return p;
    }

    @Override
    public void free(long address) {
        Long bytes = blocks.remove(address);
        if (bytes == null) throw new CudaException("cuda (host emulator): cuMemFree of " + address + ", not an allocation", "CUDA_ERROR_INVALID_VALUE");
        allocated -= bytes;
        lib.free(address - GUARD);
    }

    /** The guard bytes before and after the allocation at p of the given size (sizes are multiples of 8 here). */
    private static List<MemorySegment> guards(long p, long bytes) {
        long end = p + (bytes + 7) / 8 * 8;
        return List.of(MemorySegment.ofAddress(p - GUARD).reinterpret(GUARD), MemorySegment.ofAddress(end).reinterpret(GUARD));
    }

    /** Throws, naming {@code what}, if anything wrote into a guard since the last check (and restores the guard). */
    private void checkGuards(String what) {
        for (var e : blocks.entrySet()) {
            for (MemorySegment g : guards(e.getKey(), e.getValue())) {
                for (long i = 0; i < GUARD / 8; i++) {
                    if (g.getAtIndex(ValueLayout.JAVA_LONG, i) != PATTERN) {
                        for (long j = 0; j < GUARD / 8; j++) g.setAtIndex(ValueLayout.JAVA_LONG, j, PATTERN);
                        throw new CudaException("cuda (host emulator): " + what + " wrote outside its buffers, next to the "
                                + e.getValue() + "-byte allocation at " + e.getKey() + " (on a GPU: CUDA_ERROR_ILLEGAL_ADDRESS,"
                                + " or silent corruption)", "CUDA_ERROR_ILLEGAL_ADDRESS");
                    }
                }
            }
        }
    }

    /** The bytes at [address, address + bytes) after checking they lie inside one allocation (an out-of-range copy is a bug). */
    private MemorySegment memory(long address, long bytes) {
        var e = blocks.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue()) {
            throw new CudaException("cuda (host emulator): " + bytes + " bytes at " + address + " are not inside one allocation",
                    "CUDA_ERROR_INVALID_VALUE");
        }
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }

    @Override
    public void fill32(long dst, int value, long n) {
        if (queued(() -> fill32(dst, value, n))) return;
        MemorySegment m = memory(dst, n * Integer.BYTES);
        for (long i = 0; i < n; i++) m.setAtIndex(ValueLayout.JAVA_INT, i, value);
    }

    @Override
    public void copyIn(long dst, float[] src, int offset, int n) {
        notCapturing("cuMemcpyHtoD");
        MemorySegment.copy(src, offset, memory(dst, (long) n * Float.BYTES), ValueLayout.JAVA_FLOAT, 0, n);
    }

    @Override
    public void copyOut(float[] dst, int offset, int n, long src) {
        notCapturing("cuMemcpyDtoH");
        MemorySegment.copy(memory(src, (long) n * Float.BYTES), ValueLayout.JAVA_FLOAT, 0, dst, offset, n);
    }

    @Override
    public void copyOut(double[] dst, long src) {
        notCapturing("cuMemcpyDtoH");
        MemorySegment.copy(memory(src, (long) dst.length * Double.BYTES), ValueLayout.JAVA_DOUBLE, 0, dst, 0, dst.length);
    }

    @Override
    public void copy(long dst, long src, long bytes) {
        if (queued(() -> copy(dst, src, bytes))) return;
        MemorySegment.copy(memory(src, bytes), 0, memory(dst, bytes), 0, bytes);
    }

    @Override
    public void launch(Kernel k, int blocks, int threads, int sharedBytes, Object... args) {
        String sig = signature(k.entry()).orElseThrow(() -> new CudaException(
                "cuda (host emulator): no kernel " + k.entry() + " in the sources", "CUDA_ERROR_NOT_FOUND"));
        if (!matches(sig, args)) {
            StringBuilder given = new StringBuilder();
            for (Object a : args) given.append(a instanceof Ptr ? "p" : a instanceof Integer ? "i|u" : a instanceof Long ? "l|L" : a instanceof Float ? "f" : "?");
            throw new IllegalArgumentException("launch " + k.entry() + ": arguments (" + given + ") do not match its parameters (" + sig + ")");
        }
        if (queued(() -> launch(k, blocks, threads, sharedBytes, args))) return;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = arena.allocate(ValueLayout.ADDRESS, Math.max(1, args.length));
            for (int i = 0; i < args.length; i++) {
                MemorySegment slot = arena.allocate(8, 8);
                switch (args[i]) {
                    case Ptr p -> slot.set(ValueLayout.JAVA_LONG, 0, p.address());
                    case Integer x -> slot.set(ValueLayout.JAVA_INT, 0, x);
                    case Long x -> slot.set(ValueLayout.JAVA_LONG, 0, x);
                    case Float x -> slot.set(ValueLayout.JAVA_FLOAT, 0, x);
                    default -> throw new IllegalArgumentException(String.valueOf(args[i]));
                }
                params.setAtIndex(ValueLayout.ADDRESS, i, slot);
            }
            int rc = lib.launch(arena.allocateFrom(k.entry()), blocks, threads, sharedBytes, params, reverseBlocks);
            if (rc == 0) checkGuards(k.entry() + " (" + blocks + " x " + threads + ")");
            if (rc != 0) {
                throw new CudaException("cuda (host emulator): cuLaunchKernel(" + k.entry() + ", " + blocks + " x " + threads + ", "
                        + sharedBytes + " bytes shared) failed with CUDA_ERROR_INVALID_VALUE", "CUDA_ERROR_INVALID_VALUE");
            }
        }
    }

    /** Whether each argument has the kind of its parameter: a pointer for p, 4 bytes for i/u, 8 for l/L, a float for f. */
    static boolean matches(String sig, Object... args) {
        if (sig.length() != args.length) return false;
        for (int i = 0; i < args.length; i++) {
            boolean ok = switch (sig.charAt(i)) {
                case 'p' -> args[i] instanceof Ptr;
                case 'i', 'u' -> args[i] instanceof Integer;
                case 'l', 'L' -> args[i] instanceof Long;
                case 'f' -> args[i] instanceof Float;
                default -> false;
            };
            if (!ok) return false;
        }
        return true;
    }

    /**
     * cublasSgemm_v2 by its definition: column-major C (m, n) = alpha op(A) op(B) + beta C, each sum in float in
     * index order; beta = 0 does not read C (so NaN there is overwritten, as cuBLAS does).
     */
    @Override
    public void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc) {
        if (queued(() -> sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc))) return;
        MemorySegment A = memory(a, 4L * ((long) lda * ((transA ? m : k) - 1) + (transA ? k : m)));
        MemorySegment B = memory(b, 4L * ((long) ldb * ((transB ? k : n) - 1) + (transB ? n : k)));
        MemorySegment C = memory(c, 4L * ((long) ldc * (n - 1) + m));
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    float x = A.getAtIndex(ValueLayout.JAVA_FLOAT, transA ? (long) i * lda + p : (long) p * lda + i);
                    float y = B.getAtIndex(ValueLayout.JAVA_FLOAT, transB ? (long) p * ldb + j : (long) j * ldb + p);
                    s += x * y;
                }
                long ci = (long) j * ldc + i;
                float v = alpha * s;
                C.setAtIndex(ValueLayout.JAVA_FLOAT, ci, beta == 0f ? v : v + beta * C.getAtIndex(ValueLayout.JAVA_FLOAT, ci));
            }
        }
        checkGuards("cublasSgemm_v2");
    }

    @Override
    public void close() {
        for (long p : List.copyOf(blocks.keySet())) free(p);
    }

    /** The emulator library: built with g++ from the kernels' sources into target/emu (reused while they are unchanged). */
    private static final class Library {
        final List<String> names;
        final int sharedBytes;
        private final MethodHandle launch, signature, malloc, free;

        private Library(Path so, List<String> names) {
            this.names = names;
            Linker linker = Linker.nativeLinker();
            SymbolLookup emu = SymbolLookup.libraryLookup(so, Arena.global());
            SymbolLookup libc = linker.defaultLookup();
            ValueLayout.OfInt I = ValueLayout.JAVA_INT;
            var P = ValueLayout.ADDRESS;
            var J = ValueLayout.JAVA_LONG;
            launch = linker.downcallHandle(emu.find("emu_launch").orElseThrow(), FunctionDescriptor.of(I, P, I, I, I, P, I));
            signature = linker.downcallHandle(emu.find("emu_signature").orElseThrow(), FunctionDescriptor.of(P, P));
            MethodHandle shared = linker.downcallHandle(emu.find("emu_shared_bytes").orElseThrow(), FunctionDescriptor.of(I));
            malloc = linker.downcallHandle(libc.find("aligned_alloc").orElseThrow(), FunctionDescriptor.of(J, J, J));
            free = linker.downcallHandle(libc.find("free").orElseThrow(), FunctionDescriptor.ofVoid(J));
            try {
                sharedBytes = (int) shared.invokeExact();
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static Library build() {
            if (!Files.isDirectory(SOURCES) || !Files.isDirectory(EMU)) {
                throw new IllegalStateException("the host emulator needs the kernel sources (" + SOURCES.toAbsolutePath().normalize()
                        + ") and " + EMU.toAbsolutePath() + ": run from engine-cuda in a checkout");
            }
            try {
                List<Path> files = new ArrayList<>();
                try (Stream<Path> s = Stream.concat(Files.list(SOURCES), Files.list(EMU))) {
                    s.filter(Files::isRegularFile).sorted().forEach(files::add);
                }
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                List<String> names = new ArrayList<>();
                for (Path f : files) {
                    String text = Files.readString(f);
                    md.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
                    md.update(text.getBytes(StandardCharsets.UTF_8));
                    Matcher m = KERNEL.matcher(text);
                    while (m.find()) names.add(m.group(1));
                }
                String hash = HexFormat.of().formatHex(md.digest()).substring(0, 16);
                Path dir = OUT.resolve(hash).toAbsolutePath();
                Path so = dir.resolve("libtessemu.so");
                if (!Files.exists(so)) compile(dir, so, names);
                return new Library(so, List.copyOf(names));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        private static void compile(Path dir, Path so, List<String> names) throws IOException {
            Files.createDirectories(dir);
            StringBuilder inc = new StringBuilder();
            for (String n : names) inc.append("EMU_KERNEL(").append(n).append(")\n");
            Files.writeString(dir.resolve("entries.inc"), inc);
            Path tmp = dir.resolve("libtessemu.so.tmp");
            List<String> cmd = List.of("g++", "-std=c++20", "-O1", "-fPIC", "-shared", "-pthread", "-ffp-contract=off",
                    "-Wall", "-Wno-sign-compare", "-Wno-unknown-pragmas", "-Wl,--no-undefined",
                    "-I", EMU.toAbsolutePath().toString(), "-I", SOURCES.toAbsolutePath().toString(), "-I", dir.toString(),
                    "-include", "cuda_host.h", "-o", tmp.toString(), EMU.resolve("emu.cpp").toAbsolutePath().toString());
            Path log = dir.resolve("g++.log");
            Process p;
            try {
                p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            } catch (IOException e) {
                throw new IllegalStateException("the host emulator needs g++ on the PATH: " + e.getMessage());
            }
            try {
                if (!p.waitFor(5, TimeUnit.MINUTES)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("g++ did not finish building the host emulator in 5 minutes");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted building the host emulator");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("g++ failed to build the host emulator (" + String.join(" ", cmd) + "):\n" + Files.readString(log));
            }
            Files.move(tmp, so, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }

        Optional<String> signature(String name) {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = (MemorySegment) signature.invokeExact(arena.allocateFrom(name));
                return s.equals(MemorySegment.NULL) ? Optional.empty() : Optional.of(s.reinterpret(1024).getString(0));
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        int launch(MemorySegment name, int blocks, int threads, int shared, MemorySegment params, boolean reverse) {
            try {
                return (int) launch.invokeExact(name, blocks, threads, shared, params, reverse ? 1 : 0);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        long malloc(long bytes) {
            try {
                return (long) malloc.invokeExact(256L, (bytes + 255) / 256 * 256);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        void free(long p) {
            try {
                free.invokeExact(p);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }
}
