package dev.tessitura.cli;

import dev.tessitura.model.run.TrainingRun;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Ctrl-C during training: a shutdown hook raises {@link #requested()} and waits until the training loop has saved its
 * checkpoint and called {@link #saved()} (the run polls the request between updates, in its validation and in
 * pretraining, so that is soon). The hook waits on a latch, never on the main thread, because the main thread may
 * itself be blocked in System.exit once shutdown has begun. It waits as long as saving takes: a checkpoint is worth
 * the wait, and kill -9 (which no hook sees) is there for whoever will not wait.
 */
final class StopSignal implements TrainingRun.Stop, AutoCloseable {
    private volatile boolean requested;
    private final CountDownLatch saved = new CountDownLatch(1);
    private final Thread hook;

    StopSignal() {
        hook = new Thread(() -> {
            requested = true;
            System.err.println("\ninterrupted: saving a checkpoint before exiting...");
            try {
                while (!saved.await(15, TimeUnit.SECONDS)) {
                    System.err.println("still saving: the run stops at its next update (kill -9 " + ProcessHandle.current().pid()
                            + " abandons it, keeping the last checkpoint)");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tessitura-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** True once the user asked to stop. */
    @Override
    public boolean requested() {
        return requested;
    }

    /** Lets a waiting shutdown hook finish: the checkpoint is on disk (or there was nothing to save). */
    @Override
    public void saved() {
        saved.countDown();
    }

    @Override
    public void close() {
        saved.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutdown already under way: the hook is running and the latch has just been released
        }
    }
}
