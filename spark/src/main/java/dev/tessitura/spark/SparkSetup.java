package dev.tessitura.spark;

import dev.tessitura.model.Report;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkFiles;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The Spark context of a sweep or a cluster evaluation, embedded ({@code local[*]}: inside this JVM, nothing to
 * install) or on a cluster's master, with what every job of this module needs: the JVM flags of Java 25 executors,
 * this application's jar shipped to them, the data shipped as a file, one task per {@code taskCpus} cores. A master
 * that does not answer, or executors that never come (or all go and none come back), is one clear error within
 * seconds, not Spark's silent wait for resources.
 */
final class SparkSetup {
    static final String LOCAL = "local[*]";
    /** Flags every executor JVM gets besides Spark's own list: the Vector API of the SIMD backend. */
    static final String EXECUTOR_FLAGS = "--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED";

    /**
     * @param master       local[*], local[N], spark://host:port, yarn, k8s://...
     * @param taskCpus     cores (and backend threads) per task
     * @param executorWait how long to wait for a first executor, and for one to come back after all are lost
     * @param conf         further Spark settings (--conf KEY=VALUE), applied last
     */
    record Options(String master, int taskCpus, Duration executorWait, Map<String, String> conf) {
        Options {
            if (taskCpus < 1) throw new IllegalArgumentException("--task-cpus must be >= 1, got " + taskCpus);
            conf = Map.copyOf(conf);
        }

        boolean local() {
            return master.startsWith("local");
        }
    }

    private SparkSetup() {}

    /**
     * Adds the options of a command that runs on Spark to its spec (evaluate and reproduce with --master): --master,
     * --tasks (tasksHelp says what one is), --task-cpus, --executor-wait, --conf.
     */
    static void addOptions(CommandSpec spec, String tasksHelp) {
        spec.addOption(option("--master", "URL", String.class, "local[*], local[N], spark://host:7077, yarn, k8s://... (default: "
                + "spark-submit's --master, else local[*])").build());
        spec.addOption(option("--tasks", "N", int.class, tasksHelp).defaultValue("0").build());
        spec.addOption(option("--task-cpus", "N", int.class, "cores (backend threads) per task (default: 1)").defaultValue("1").build());
        spec.addOption(option("--executor-wait", "S", int.class, "seconds to wait for a first executor, or for one to come back after all "
                + "are lost (default: 20)").defaultValue("20").build());
        spec.addOption(option("--conf", "KEY=VALUE", String[].class, "a Spark setting (repeatable)").build());
    }

    private static OptionSpec.Builder option(String name, String label, Class<?> type, String help) {
        return OptionSpec.builder(name).paramLabel(label).type(type).description(help);
    }

    /** The options {@link #addOptions} added, as given; a mistake is a ParameterException of one line. */
    static Options options(ParseResult pr) {
        int waitS = pr.matchedOptionValue("--executor-wait", 20);
        try {
            if (tasks(pr) < 0 || waitS < 1) throw new IllegalArgumentException("--tasks must be >= 0, --executor-wait >= 1");
            return new Options(master(pr.matchedOptionValue("--master", null)), pr.matchedOptionValue("--task-cpus", 1), Duration.ofSeconds(waitS),
                    conf(List.of(pr.matchedOptionValue("--conf", new String[0]))));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(pr.commandSpec().commandLine(), e.getMessage());
        }
    }

    /** --tasks as given (0: the command's default). */
    static int tasks(ParseResult pr) {
        return pr.matchedOptionValue("--tasks", 0);
    }

    /** --master as given; else spark-submit's (it sets spark.master); else local[*]. */
    static String master(String given) {
        return given != null ? given : System.getProperty("spark.master", LOCAL);
    }

    /** KEY=VALUE pairs of --conf, in order; a pair without '=' is an error naming it. */
    static Map<String, String> conf(List<String> pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--conf wants KEY=VALUE (a Spark setting), got '" + p + "'");
            m.put(p.substring(0, eq).strip(), p.substring(eq + 1).strip());
        }
        return m;
    }

    /** The Spark settings for these options (before the user's --conf, which come last and win). */
    static SparkConf sparkConf(String app, Options o) {
        SparkConf c = new SparkConf().setAppName(app).setMaster(o.master());
        c.set("spark.task.cpus", Integer.toString(o.taskCpus()));
        c.set("spark.task.maxFailures", "4");                   // a lost executor's tasks run again (local mode never retries)
        c.set("spark.ui.enabled", "false");                     // no web server unless asked for (--conf spark.ui.enabled=true)
        c.set("spark.executor.extraJavaOptions", JavaModuleOptions.defaultModuleOptions() + " " + EXECUTOR_FLAGS);
        if (o.local() || loopback(o.master())) {
            c.set("spark.driver.host", "127.0.0.1");
            c.set("spark.driver.bindAddress", "127.0.0.1");
        }
        // a lost executor is noticed by its connection closing; these bound the waits when a host goes silent instead
        c.set("spark.network.timeout", "60s");
        c.set("spark.executor.heartbeatInterval", "5s");
        Path jar = ownJar();
        if (!o.local() && jar != null && !c.contains("spark.jars")) c.set("spark.jars", jar.toUri().toString());   // spark-submit sets it
        o.conf().forEach((k, v) -> c.set(k, k.equals("spark.executor.extraJavaOptions") ? c.get(k) + " " + v : v));
        return c;
    }

    /** Starts the context, after checking that a standalone master answers; then waits for a first executor. */
    static JavaSparkContext start(String app, Options o, Report report) {
        checkMaster(o.master(), Duration.ofSeconds(3));
        JavaSparkContext jsc = new JavaSparkContext(sparkConf(app, o));
        try {
            if (!o.local()) {
                report.warning("waiting for executors of " + o.master() + " (at most " + o.executorWait().toSeconds() + " s)");
                if (!awaitExecutor(jsc, o.executorWait())) {
                    throw new IllegalStateException("no executor joined from " + o.master() + " within " + o.executorWait().toSeconds()
                            + " s: is a worker up with " + o.taskCpus() + " free core(s) and " + jsc.getConf().get("spark.executor.memory", "1g")
                            + " of free memory, and can it start executors (see its log)? --executor-wait S waits longer");
                }
            }
            return jsc;
        } catch (RuntimeException e) {
            jsc.stop();
            throw e;
        }
    }

    /** Executors registered now (the driver is not one); the error of a context that Spark stopped. */
    static int executors(JavaSparkContext jsc) {
        checkRunning(jsc);
        try {
            return Math.max(0, jsc.sc().getExecutorMemoryStatus().size() - 1);
        } catch (IllegalStateException e) {
            checkRunning(jsc);                               // stopped in between
            throw e;
        }
    }

    private static boolean awaitExecutor(JavaSparkContext jsc, Duration wait) {
        long end = System.nanoTime() + wait.toNanos();
        while (executors(jsc) == 0) {
            if (System.nanoTime() > end) return false;
            sleep(100);
        }
        return true;
    }

    /** A standalone master gives up on an application whose executors keep failing; Spark then stops its context. */
    private static void checkRunning(JavaSparkContext jsc) {
        if (jsc.sc().isStopped()) {
            throw new IllegalStateException("the cluster gave up on this application (its executors failed to start or kept failing: "
                    + "see the workers' logs and work folders)");
        }
    }

    /**
     * Waits for the futures, calling {@code done} for each as it completes (in completion order, on this thread) with
     * its value or its failure. Fails at once, cancelling the jobs, when no executor is left for longer than the wait.
     */
    static <T> void await(JavaSparkContext jsc, Options o, List<? extends Future<T>> futures, BiConsumer<Integer, Result<T>> done) {
        await(jsc, o, futures, () -> false, done);
    }

    /** {@link #await(JavaSparkContext, Options, List, BiConsumer)}, returning early, the jobs cancelled, when {@code stop} says so. */
    static <T> void await(JavaSparkContext jsc, Options o, List<? extends Future<T>> futures, BooleanSupplier stop,
                          BiConsumer<Integer, Result<T>> done) {
        List<Integer> open = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) open.add(i);
        long noExecutorSince = -1;
        while (!open.isEmpty()) {
            if (stop.getAsBoolean()) {
                jsc.cancelAllJobs();
                return;
            }
            for (var it = open.iterator(); it.hasNext(); ) {
                int i = it.next();
                Future<T> f = futures.get(i);
                if (!f.isDone()) continue;
                it.remove();
                try {
                    done.accept(i, new Result<>(f.get(), null));
                } catch (ExecutionException e) {
                    done.accept(i, new Result<>(null, e.getCause() == null ? e : e.getCause()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for Spark");
                }
            }
            if (!o.local()) {
                long now = System.nanoTime();
                if (executors(jsc) > 0) noExecutorSince = -1;
                else if (noExecutorSince < 0) noExecutorSince = now;
                else if (now - noExecutorSince > o.executorWait().toNanos()) {
                    jsc.cancelAllJobs();
                    throw new IllegalStateException("every executor of " + o.master() + " was lost and none came back within "
                            + o.executorWait().toSeconds() + " s; what finished is kept: run the same command again to go on");
                }
            }
            if (!open.isEmpty()) sleep(50);
        }
    }

    /** A job's value, or why it failed. */
    record Result<T>(T value, Throwable failure) {}

    /**
     * Ships a file or folder to every executor ({@link #local} finds it there); returns the name it goes by. A
     * folder (of MIDI files) goes whole.
     */
    static String ship(JavaSparkContext jsc, Path file) {
        jsc.sc().addFile(file.toAbsolutePath().toUri().toString(), Files.isDirectory(file));
        return file.getFileName().toString();
    }

    /** Where a shipped file is on this executor. */
    static Path local(String name) {
        return Path.of(SparkFiles.get(name));
    }

    /**
     * A standalone master (spark://h1:p1,h2:p2) must answer on at least one of its addresses; other masters (local,
     * yarn, k8s) are Spark's to check.
     */
    static void checkMaster(String master, Duration timeout) {
        if (!master.startsWith("spark://")) return;
        List<String> tried = new ArrayList<>();
        for (String hp : master.substring("spark://".length()).split(",")) {
            int colon = hp.lastIndexOf(':');
            String host = colon < 0 ? hp : hp.substring(0, colon);
            int port;
            try {
                port = colon < 0 ? 7077 : Integer.parseInt(hp.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--master " + master + ": '" + hp + "' is not host:port");
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
                return;
            } catch (IOException e) {
                tried.add(host + ":" + port + " (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")");
            }
        }
        throw new IllegalStateException("no Spark master answers at " + String.join(", ", tried)
                + ": start one (spark/README.md), or leave --master out to run in this JVM");
    }

    private static boolean loopback(String master) {
        String m = master.toLowerCase(Locale.ROOT);
        return m.startsWith("spark://127.0.0.1:") || m.startsWith("spark://localhost:");
    }

    /** This module's jar (target/tessitura-spark.jar), or null when it runs from class folders (tests). */
    static Path ownJar() {
        try {
            Path p = Path.of(SparkSetup.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return p.toString().endsWith(".jar") ? p : null;
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            return null;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Spark");
        }
    }
}
