package dev.tessitura.engine.cpu.simd;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool owned by one backend: {@link #forRange} splits [0, n) into at most {@code threads} contiguous
 * chunks, runs the first on the calling thread and the others on the workers, and waits. Kernels split only
 * independent outputs (rows of C, chunks of a sum) this way, never a reduction, so results do not depend on the
 * thread count.
 *
 * <p>The hand-over is built for many small jobs: an LSTM training step issues ~1,500 of them (a product and a cell per
 * time step and layer), each of tens of microseconds. Parking and waking a thread through an executor cost about as
 * much as the job, so a worker spins on the job counter for a while ({@link #SPIN_NANOS}) before it parks, and the
 * caller spins on the count of finished chunks. An idle pool parks within a millisecond and costs nothing. Every
 * worker acknowledges every job (those without a chunk too), so a job's fields are never rewritten while a worker
 * may still read them. A call made while the pool is busy (from inside a task, or from another thread) runs on the
 * calling thread alone: the same results, since they never depend on the split.
 *
 * <p>Between jobs the workers may do {@link IdleWork} (the next Gibbs chain's uniforms, drawn while the caller runs
 * the serial recurrence) in short slices, looking for a job after each.
 */
final class WorkerPool implements AutoCloseable {

    /** Work on the index range [from, to). */
    @FunctionalInterface
    interface RangeTask {
        void run(int from, int to);
    }

    /**
     * Work the workers may do while they wait for a job, one short slice at a time, checking for a job between
     * slices (so a job waits at most one slice). Slices must be safe to run on several workers at once.
     */
    interface IdleWork {
        /** Does one slice; false when there is nothing left to do. */
        boolean slice();
    }

    /** How long a worker waits for the next job, spinning, before it parks. */
    static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;               // threads - 1 of them
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Thread owner;                 // the thread inside forRange, unparked by finishing workers

    // the current job, published by the volatile write of `job`; read by workers after they see the new value
    private RangeTask task;
    private int n, chunks;
    private volatile int job;                      // incremented per job
    private final AtomicInteger done = new AtomicInteger();
    private volatile Throwable failure;
    private volatile boolean closed;
    private final AtomicReference<IdleWork> idleWork = new AtomicReference<>();

    WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("simd: thread count must be >= 1, got " + threads);
        this.threads = threads;
        workers = new Thread[threads - 1];
        for (int w = 0; w < workers.length; w++) {
            int chunk = w + 1;
            workers[w] = new Thread(() -> work(chunk), "tessitura-simd-" + chunk);
            workers[w].setDaemon(true);
            workers[w].start();
        }
    }

    int threads() {
        return threads;
    }

    /** Gives the workers {@code work} for their idle time (replacing any earlier idle work); null withdraws it. */
    void idle(IdleWork work) {
        idleWork.set(work);
        if (work != null) for (Thread w : workers) LockSupport.unpark(w);
    }

    /** Runs {@code task} over [0, n) in up to {@code threads} chunks; serially when {@code parallel} is false. */
    void forRange(int n, boolean parallel, RangeTask task) {
        int chunks = parallel && workers.length > 0 ? Math.min(threads, n) : 1;
        if (chunks <= 1 || !busy.compareAndSet(false, true)) {
            if (n > 0) task.run(0, n);
            return;
        }
        try {
            runJob(n, chunks, task);
        } finally {
            busy.set(false);
        }
    }

    private void runJob(int n, int chunks, RangeTask task) {
        if (closed) throw new IllegalStateException("simd: the backend is closed");
        this.task = task;
        this.n = n;
        this.chunks = chunks;
        this.failure = null;
        done.set(0);
        owner = Thread.currentThread();
        job++;                                             // publishes the fields above (a volatile write)
        for (Thread w : workers) LockSupport.unpark(w);
        try {
            task.run(0, (int) ((long) n / chunks));
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        // wait for every worker: spin, since their chunks take about as long as ours did
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (done.get() < workers.length) {
            if (System.nanoTime() < spinUntil) Thread.onSpinWait();
            else LockSupport.parkNanos(this, 50_000);
        }
        this.task = null;
        Throwable f = failure;
        if (f instanceof RuntimeException re) throw re;
        if (f instanceof Error err) throw err;
    }

    /** A worker's loop: wait for a job that has a chunk for it, run the chunk, count it done. */
    private void work(int chunk) {
        int seen = 0;
        while (true) {
            long spinUntil = System.nanoTime() + SPIN_NANOS;
            int j;
            while ((j = job) == seen) {
                if (closed) return;
                IdleWork w = idleWork.get();
                if (w != null) {
                    boolean more;
                    try {
                        more = w.slice();
                    } catch (RuntimeException | Error e) {
                        more = false;                        // idle work is optional: a failing one is dropped
                    }
                    if (!more) idleWork.compareAndSet(w, null);
                    spinUntil = System.nanoTime() + SPIN_NANOS;
                } else if (System.nanoTime() < spinUntil) {
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
            seen = j;
            if (chunk < chunks) {                           // a job may have fewer chunks than threads
                int from = (int) ((long) n * chunk / chunks), to = (int) ((long) n * (chunk + 1) / chunks);
                try {
                    task.run(from, to);
                } catch (Throwable e) {
                    failure = e;
                }
            }
            Thread waiting = owner;
            done.incrementAndGet();                         // publishes our results to the caller
            LockSupport.unpark(waiting);
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
