package dev.tessitura.cli;

import java.io.PrintStream;
import java.time.Duration;

/**
 * A progress bar for one epoch: "epoch 3/20 [#####.....] 512/1024 frames  41,200 frames/s  left 0:12". On a
 * terminal it redraws one line; otherwise (a log file, CI) it prints a line at every further 10%, and only for epochs
 * longer than two seconds, so logs stay short.
 */
final class Progress {
    private static final int WIDTH = 30;

    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean terminal;
    private final long start = System.nanoTime();
    private long done;
    private int lastDecile = -1;

    Progress(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 1);
        this.terminal = System.console() != null && out == System.err;
    }

    /** Adds {@code frames} to the count and redraws. */
    void advance(long frames) {
        done += frames;
        int decile = (int) (10 * done / total);
        if (terminal) {
            out.print("\r" + line());
            out.flush();
        } else if (decile != lastDecile && decile > 0 && decile < 10 && System.nanoTime() - start > 2_000_000_000L) {
            lastDecile = decile;
            out.println(line());
        }
    }

    /** Ends the line; returns the epoch's frames per second. */
    double finish() {
        double rate = rate();
        if (terminal) out.println("\r" + line());
        return rate;
    }

    double rate() {
        double s = (System.nanoTime() - start) / 1e9;
        return s > 0 ? done / s : 0;
    }

    private String line() {
        int filled = (int) (WIDTH * Math.min(done, total) / total);
        double rate = rate();
        long left = rate > 0 ? (long) ((total - done) / rate) : 0;
        return String.format("%s [%s%s] %,d/%,d frames  %,.0f frames/s  left %s", label, "#".repeat(filled),
                ".".repeat(WIDTH - filled), done, total, rate, clock(Duration.ofSeconds(left)));
    }

    static String clock(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String.format("%d:%02d", s / 60, s % 60);
    }
}
