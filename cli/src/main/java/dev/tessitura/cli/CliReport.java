package dev.tessitura.cli;

import dev.tessitura.model.Report;
import java.io.PrintStream;

/** The CLI's {@link Report}: results on standard output, warnings and progress bars on standard error. */
public final class CliReport implements Report {
    private final PrintStream out, err;

    public CliReport(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    @Override public void line(String text) {
        out.println(text);
    }

    @Override public void warning(String text) {
        err.println(text);
    }

    @Override public Phase phase(String label, long total) {
        Progress p = new Progress(err, label, total);
        return new Phase() {
            @Override public void advance(long done) { p.advance(done); }

            @Override public double finish() { return p.finish(); }
        };
    }
}
