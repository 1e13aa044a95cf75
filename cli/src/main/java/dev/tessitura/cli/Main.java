package dev.tessitura.cli;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import java.io.PrintStream;
import java.util.Arrays;

/** Entry point of {@code ./tessitura}: one sub-command per verb. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        // one line per log record ("INFO: backend cuda not used: ..."), not java.util.logging's two-line default
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the process exit code (0 ok, 1 failure, 2 usage). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            usage(out);
            return args.length == 0 ? 2 : 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            return switch (args[0]) {
                case "info" -> info(out);
                case "demo" -> DemoCommand.run(rest, out, err);
                case "dataset" -> DatasetCommand.run(rest, out, err);
                case "render" -> RenderCommand.run(rest, out, err);
                case "train" -> TrainCommand.run(rest, out, err);
                case "generate" -> ModelCommands.generate(rest, out, err);
                case "evaluate" -> ModelCommands.evaluate(rest, out, err);
                default -> {
                    err.println("tessitura: unknown command '" + args[0] + "'");
                    usage(err);
                    yield 2;
                }
            };
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("tessitura " + args[0] + ": " + e.getMessage());
            return 1;
        }
    }

    static void usage(PrintStream out) {
        out.println("""
                usage: tessitura <command> [options]
                  demo [--data D --epochs N] train an RNN-RBM on tunes it generates, evaluate it, compose a piece (~1 min)
                  info                       backends found, the one selected, vector width, threads, and why any backend is unavailable
                  dataset stats <path>       per-split statistics of a data set (.pickle/.pkl, .mat or a folder of MIDI files)
                  dataset convert <in> <out> convert between a MIDI folder, pickle and .mat ('tessitura dataset help' for options)
                  render <input> [--png F] [--wav F] [--sequence split:i] [--frame-seconds S]
                                             picture and/or sound of a MIDI file or a data set sequence
                  train --model rnn-rbm|lstm-rbm|lstm|melody-lstm --data D --out DIR [options]   train ('tessitura train --help')
                  generate --checkpoint F --out song.mid [--steps N --prime tune.mid --seed S]   new music (+ .png, .wav)
                  evaluate --checkpoint F --data D [--split test]   log-likelihood per time step and frame accuracy
                global JVM settings (through JAVA_OPTS or -D on the launcher):
                  -Dtessitura.backend=auto|scalar|simd|cuda   -Dtessitura.threads=N   -Dtessitura.vector=0|128|256|512|scalar""");
    }

    static int info(PrintStream out) {
        out.println("Tessitura " + version() + " on Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")");
        out.println("cores: " + Runtime.getRuntime().availableProcessors());
        out.println("backends:");
        for (Backends.Probe p : Backends.probe()) {
            out.printf("  %-7s %s%n", p.name(), p.available() ? "available" : "unavailable: " + p.unavailableReason().get());
        }
        String name = System.getProperty("tessitura.backend", "auto");
        try (Backend b = Backends.create(name, BackendOptions.fromSystemProperties())) {
            out.println("selected: " + b.description());
        }
        return 0;
    }

    private static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "(development build)" : v;
    }
}
