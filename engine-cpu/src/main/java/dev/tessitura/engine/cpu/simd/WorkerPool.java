package dev.tessitura.engine.cpu.simd;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small fixed pool owned by one backend: {@link #forRange} splits [0, n) into at most {@code threads} contiguous
 * chunks, runs the first on the calling thread and the others on the workers, and waits. Kernels split only
 * independent outputs (rows of C, chunks of a sum) this way, never a reduction, so results do not depend on the
 * thread count.
 */
final class WorkerPool implements AutoCloseable {

    /** Work on the index range [from, to). */
    @FunctionalInterface
    interface RangeTask {
        void run(int from, int to);
    }

    private final int threads;
    private final ExecutorService workers;   // threads - 1 of them; null when single-threaded

    WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("simd: thread count must be >= 1, got " + threads);
        this.threads = threads;
        if (threads == 1) {
            workers = null;
        } else {
            AtomicInteger id = new AtomicInteger();
            workers = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "tessitura-simd-" + id.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code task} over [0, n) in up to {@code threads} chunks; serially when {@code parallel} is false. */
    void forRange(int n, boolean parallel, RangeTask task) {
        int chunks = parallel && workers != null ? Math.min(threads, n) : 1;
        if (chunks <= 1) {
            if (n > 0) task.run(0, n);
            return;
        }
        Future<?>[] pending = new Future<?>[chunks - 1];
        for (int c = 1; c < chunks; c++) {
            int from = (int) ((long) n * c / chunks), to = (int) ((long) n * (c + 1) / chunks);
            pending[c - 1] = workers.submit(() -> task.run(from, to));
        }
        task.run(0, (int) ((long) n / chunks));
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("simd: interrupted while waiting for worker threads", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) throw re;
                if (cause instanceof Error err) throw err;
                throw new IllegalStateException("simd: worker failed", cause);
            }
        }
    }

    @Override
    public void close() {
        if (workers != null) workers.shutdownNow();
    }
}
