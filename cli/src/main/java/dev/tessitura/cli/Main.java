package dev.tessitura.cli;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;
import dev.tessitura.model.DivergedException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Entry point of {@code ./tessitura}: one subcommand per verb, on picocli. Exit codes: 0 done, 1 a failure (one line
 * saying what), 2 a mistake in the command line (one line, with a suggestion for a misspelt option), 130 stopped by
 * Ctrl-C with a checkpoint saved.
 */
@Command(name = "tessitura", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A hand-tuned Java engine for polyphonic music sequence models.",
        subcommands = {Main.Info.class, DemoCommand.class, DatasetCommand.class, RenderCommand.class, ReproduceCommand.class,
                AutoComplete.GenerateCompletion.class},
        footer = {"", "Global JVM settings (through JAVA_OPTS, or -D before the command on the java command line):",
                "  -Dtessitura.backend=auto|scalar|simd|cuda   -Dtessitura.threads=N   -Dtessitura.vector=0|128|256|512|scalar",
                "", "On Apache Spark (spark/README.md): sweep ('tessitura sweep --help'),",
                "  evaluate ... --master URL (the evaluation split by tunes), reproduce ... --master URL (its trials as tasks)."})
public final class Main implements Callable<Integer> {
    /** Where a command writes: results to out, progress and messages to err. */
    public record Io(PrintStream out, PrintStream err) {}

    @Spec CommandSpec spec;

    private Main() {}

    public static void main(String[] args) {
        oneLineLogs();
        System.exit(run(args, System.out, System.err));
    }

    /** One line per log record ("INFO: backend cuda not used: ..."), not java.util.logging's two-line default. */
    public static void oneLineLogs() {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
    }

    /** No command: the help, and the exit code of a usage error. */
    @Override public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** Runs one command line; returns the process exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return commandLine(new Io(out, err)).execute(compatible(args));
        } catch (OutOfMemoryError e) {
            err.println("tessitura: out of memory (" + e.getMessage() + "): this JVM may use "
                    + Runtime.getRuntime().maxMemory() / (1 << 20) + " MB; give it more with JAVA_OPTS=-Xmx16g, or use smaller sizes");
            return 1;
        }
    }

    /** The whole command tree, writing to io. */
    static CommandLine commandLine(Io io) {
        CommandLine cl = new CommandLine(new Main(), new Factory(io));
        cl.addSubcommand(TrainCommand.commandLine(io));
        cl.addSubcommand(ModelCommands.generate(io));
        cl.addSubcommand(ModelCommands.evaluate(io));
        return configure(cl, io);
    }

    /**
     * The conventions of every tessitura command tree, set on cl: the last of a repeated option counts, output to io,
     * a usage mistake in one line (exit 2), a failure in one line (exit 1).
     */
    public static CommandLine configure(CommandLine cl, Io io) {
        cl.setOverwrittenOptionsAllowed(true);         // an option given twice: the last one counts, as in most tools
        cl.setOut(new PrintWriter(io.out(), true));
        cl.setErr(new PrintWriter(io.err(), true));
        cl.setParameterExceptionHandler((ex, args) -> {
            io.err().println(usageLine(ex));
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, cmd, pr) -> failed(ex, cmd.getCommandSpec().qualifiedName(), io.err()));
        return cl;
    }

    /**
     * A command-line mistake in one line: what (an unknown command, model or option by name), a suggestion where
     * picocli has one, and where the help is.
     */
    static String usageLine(ParameterException ex) {
        CommandSpec spec = ex.getCommandLine().getCommandSpec();
        String name = spec.qualifiedName();
        String msg = ex.getMessage().replace('\n', ' ').replace("\r", "").strip();
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            String what = first.startsWith("-") ? "option" : spec.name().equals("train") ? "model" : "command";
            List<String> known = what.equals("option") ? List.of() : List.copyOf(spec.subcommands().keySet());
            msg = "unknown " + what + " '" + first + "'" + (known.isEmpty() ? "" : " (" + String.join(", ", known) + ")");
            if (!u.getSuggestions().isEmpty() && what.equals("option")) {
                msg += " (did you mean " + String.join(" or ", u.getSuggestions().stream().limit(3).toList()) + "?)";
            }
        }
        return name + ": " + msg + "; see '" + name + " --help'";
    }

    /** A failure in one line (two for a divergence); exit code 1. */
    static int failed(Exception ex, String name, PrintStream err) {
        if (ex instanceof DivergedException d) {
            err.println(name + ": training diverged: " + d.getMessage());
            err.println(name + ": the last good checkpoint is kept");
            return 1;
        }
        if (ex instanceof IOException || ex instanceof UncheckedIOException || ex instanceof IllegalArgumentException
                || ex instanceof IllegalStateException) {
            err.println(name + ": " + failure(ex));
            return 1;
        }
        err.println(name + ": internal error (please report it with the command line that caused it): " + ex);
        ex.printStackTrace(err);
        return 1;
    }

    /** One line for a failure; the JDK's missing-file exceptions only carry the path. */
    static String failure(Exception e) {
        Throwable t = e instanceof UncheckedIOException u ? u.getCause() : e;
        if (t instanceof NoSuchFileException n) return "no such file: " + n.getFile();
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        return m.replace('\n', ' ').strip();
    }

    /**
     * The command lines of earlier versions still run: {@code train --model M ...} is {@code train M ...}, and
     * {@code help} is {@code --help}.
     */
    static String[] compatible(String[] args) {
        if (args.length == 1 && args[0].equals("help")) return new String[] {"--help"};
        if (args.length < 2 || !args[0].equals("train")) return args;
        List<String> a = new ArrayList<>(Arrays.asList(args));
        for (int i = 1; i < a.size(); i++) {
            String s = a.get(i);
            if (s.equals("--model") && i + 1 < a.size()) {
                String m = a.remove(i + 1);
                a.remove(i);
                a.add(1, m);
                break;
            }
            if (s.startsWith("--model=")) {
                a.remove(i);
                a.add(1, s.substring("--model=".length()));
                break;
            }
        }
        return a.toArray(String[]::new);
    }

    /** Creates the annotated commands with the run's {@link Io} where they take one. */
    private record Factory(Io io) implements CommandLine.IFactory {
        @Override public <K> K create(Class<K> cls) throws Exception {
            for (Constructor<?> c : cls.getDeclaredConstructors()) {
                if (c.getParameterCount() == 1 && c.getParameterTypes()[0] == Io.class) {
                    c.setAccessible(true);
                    return cls.cast(c.newInstance(io));
                }
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"Tessitura " + (v == null ? "(development build)" : v) + " on Java " + Runtime.version()};
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true,
            description = "Backends found, the one selected, vector width, threads, and why any backend is unavailable.")
    static final class Info implements Callable<Integer> {
        private final Io io;

        Info(Io io) {
            this.io = io;
        }

        @Override public Integer call() {
            PrintStream out = io.out();
            out.println(new Version().getVersion()[0] + " (" + System.getProperty("java.vm.name") + ")");
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
    }
}
