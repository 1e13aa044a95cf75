package dev.tessitura.engine.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The spinning hand-over of {@link WorkerPool}: every index once, the caller's split, failures, nesting, close. */
class WorkerPoolTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5})
    void everyIndexRunsExactlyOnceInTheSameChunksAsBefore(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            // many jobs back to back (the hand-over is reused thousands of times a step), sizes below and above the
            // thread count, and a job after the workers have had time to park
            for (int round = 0; round < 2000; round++) {
                int n = round % 13;
                AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
                Set<String> ranges = ConcurrentHashMap.newKeySet();
                pool.forRange(n, true, (from, to) -> {
                    ranges.add(from + "-" + to);
                    for (int i = from; i < to; i++) hits.incrementAndGet(i);
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " index " + i);
                // the documented split: chunk c of k is [n c / k, n (c + 1) / k)
                int chunks = Math.min(threads, n);
                for (int c = 0; c < chunks && n > 0; c++) assertTrue(ranges.contains(n * c / chunks + "-" + n * (c + 1) / chunks), ranges + " n=" + n);
                if (round == 1000) sleep(5);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aFailureInAnyChunkReachesTheCallerAndThePoolGoesOn(boolean inWorker) {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException boom = new IllegalStateException("boom");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> pool.forRange(10, true, (from, to) -> {
                if ((from == 0) != inWorker) throw boom;
            }));
            assertSame(boom, thrown);
            AtomicIntegerArray hits = new AtomicIntegerArray(10);
            pool.forRange(10, true, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
            for (int i = 0; i < 10; i++) assertEquals(1, hits.get(i));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void aCallFromInsideATaskRunsOnItsOwnThread(int threads) {
        try (WorkerPool pool = new WorkerPool(threads)) {
            AtomicIntegerArray hits = new AtomicIntegerArray(6 * 7);
            pool.forRange(6, true, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int row = i;
                    Thread me = Thread.currentThread();
                    pool.forRange(7, true, (f, t) -> {
                        assertSame(me, Thread.currentThread());
                        for (int j = f; j < t; j++) hits.incrementAndGet(row * 7 + j);
                    });
                }
            });
            for (int i = 0; i < hits.length(); i++) assertEquals(1, hits.get(i), "index " + i);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aClosedPoolRefusesParallelWork(int threads) {
        WorkerPool pool = new WorkerPool(threads);
        pool.close();
        if (threads > 1) assertThrows(IllegalStateException.class, () -> pool.forRange(4, true, (from, to) -> {}));
        int[] ran = new int[1];
        pool.forRange(4, false, (from, to) -> ran[0] += to - from);   // serial work needs no workers
        assertEquals(4, ran[0]);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Idle work runs between jobs until it runs out, jobs still run (each at most a slice late), a failing one is dropped. */
    @org.junit.jupiter.api.Test
    void idleWorkRunsBetweenJobsAndNeverBlocksThem() {
        try (WorkerPool pool = new WorkerPool(3)) {
            java.util.concurrent.atomic.AtomicInteger slices = new java.util.concurrent.atomic.AtomicInteger();
            pool.idle(() -> slices.incrementAndGet() < 200);                 // 200 slices, then nothing left
            for (int round = 0; round < 300; round++) {
                AtomicIntegerArray hits = new AtomicIntegerArray(7);
                pool.forRange(7, true, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
                for (int i = 0; i < 7; i++) assertEquals(1, hits.get(i));
            }
            long until = System.nanoTime() + 2_000_000_000L;
            while (slices.get() < 200 && System.nanoTime() < until) Thread.onSpinWait();
            assertTrue(slices.get() >= 200, "slices " + slices.get());
            sleep(5);
            int after = slices.get();
            sleep(5);
            assertTrue(slices.get() - after <= 2, "work that ran out is not run again: " + after + " -> " + slices.get());
            // idle work that throws is dropped; the pool goes on
            java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
            pool.idle(() -> { calls.incrementAndGet(); throw new IllegalStateException("idle boom"); });
            sleep(5);
            AtomicIntegerArray hits = new AtomicIntegerArray(5);
            pool.forRange(5, true, (from, to) -> { for (int i = from; i < to; i++) hits.incrementAndGet(i); });
            for (int i = 0; i < 5; i++) assertEquals(1, hits.get(i));
            assertTrue(calls.get() >= 1 && calls.get() <= 2, "a failing idle work runs once per worker at most: " + calls.get());
        }
    }
}
