package dev.tessitura.spark;

import dev.tessitura.cli.Main;
import dev.tessitura.cli.Main.Io;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Entry point of {@code ./tessitura sweep}, and of {@code evaluate} and {@code reproduce} with {@code --master URL}:
 * the commands that run on Apache Spark, in this module so that the engine, the models and the CLI jar never load
 * Spark. Same conventions as the CLI: exit 0 done, 1 a failure (one line), 2 a mistake in the command line (one line),
 * 130 stopped by Ctrl-C (reproduce).
 */
@Command(name = "tessitura", mixinStandardHelpOptions = true, versionProvider = SparkMain.Version.class,
        description = "Tessitura on Apache Spark: hyper-parameter sweeps, evaluation split by tunes, and reproduce's trials over a cluster.")
public final class SparkMain implements Callable<Integer> {
    @Spec CommandSpec spec;

    private SparkMain() {}

    public static void main(String[] args) {
        Main.oneLineLogs();
        System.exit(run(args, System.out, System.err));
    }

    /** No command: the help, and the exit code of a usage error. */
    @Override public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 2;
    }

    /** Runs one command line; returns the process exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Io io = new Io(out, err);
        CommandLine cl = new CommandLine(new SparkMain());
        cl.addSubcommand("sweep", new CommandLine(new SweepCommand(io)));
        cl.addSubcommand(ClusterEvaluation.command(io, new ClusterEvaluation()));
        cl.addSubcommand(ReproduceOnSpark.command(io));
        return Main.configure(cl, io).execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            return new String[] {"Tessitura on Apache Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ", Java " + Runtime.version()};
        }
    }
}
