package dev.tessitura.cli;

import dev.tessitura.model.run.TrainingRun;

/**
 * Ctrl-C during training: a shutdown hook raises {@link #requested()} and, while a run is busy training, waits until
 * the training loop has saved its checkpoint and called {@link #saved()} (the run polls the request between updates,
 * in its validation and in pretraining, so that is soon). While nothing is busy (reproduce between its trainings,
 * e.g. evaluating) the hook does not wait: there is nothing to save, and the work is redone on the next start. The
 * hook waits on this object's monitor, never on the main thread, because the main thread may itself be blocked in
 * System.exit once shutdown has begun. It waits as long as saving takes: a checkpoint is worth the wait, and kill -9
 * (which no hook sees) is there for whoever will not wait.
 */
final class StopSignal implements TrainingRun.Stop, AutoCloseable {
    private volatile boolean requested;
    private boolean busy, saved;
    private final Thread hook;

    /** @param busy whether a stop must wait for {@link #saved} from the start (train: yes) */
    StopSignal(boolean busy) {
        this.busy = busy;
        hook = new Thread(this::stop, "tessitura-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    StopSignal() {
        this(true);
    }

    private synchronized void stop() {
        requested = true;
        if (!busy) return;
        System.err.println("\ninterrupted: saving a checkpoint before exiting...");
        try {
            for (long waited = 0; busy && !saved; ) {
                wait(1000);
                if ((waited += 1000) % 15_000 == 0 && busy && !saved) {
                    System.err.println("still saving: the run stops at its next update (kill -9 " + ProcessHandle.current().pid()
                            + " abandons it, keeping the last checkpoint)");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once the user asked to stop. */
    @Override
    public boolean requested() {
        return requested;
    }

    /** Lets a waiting shutdown hook finish: the checkpoint is on disk (or there was nothing to save). */
    @Override
    public synchronized void saved() {
        saved = true;
        notifyAll();
    }

    @Override
    public synchronized void busy(boolean saving) {
        busy = saving;
        notifyAll();
    }

    @Override
    public void close() {
        saved();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // shutdown already under way: the hook is running and has just been released
        }
    }
}
