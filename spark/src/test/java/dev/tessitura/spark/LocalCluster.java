package dev.tessitura.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Spark standalone cluster on this machine, from the Spark jars the build resolved: a master and workers,
 * each its own JVM, bound to 127.0.0.1 only. A Worker builds its executors' command lines from SPARK_HOME
 * (SPARK_HOME/jars/*), so a temporary SPARK_HOME gets a jars/ folder of links to those jars. {@link #close} kills
 * every process it started and their children (the executors), whatever state the test left.
 */
final class LocalCluster implements AutoCloseable {
    private final Path root;
    private final int port, uiPort;
    private final List<Process> processes = new ArrayList<>();
    private final Thread hook = new Thread(this::kill);

    /** Spark's jars, as the build listed them (target/spark-classpath.txt). */
    static List<Path> sparkJars() throws IOException {
        String file = System.getProperty("tessitura.spark.classpath", "target/spark-classpath.txt");
        List<Path> jars = new ArrayList<>();
        for (String p : Files.readString(Path.of(file)).strip().split(java.io.File.pathSeparator)) jars.add(Path.of(p));
        return jars;
    }

    /** This application's jar, as a cluster gets it (target/tessitura-spark.jar, built by package). */
    static Path appJar() {
        return Path.of(System.getProperty("tessitura.spark.jar", "target/tessitura-spark.jar")).toAbsolutePath();
    }

    /**
     * Starts a master and {@code workers} workers of one core and 1 GB each; {@code jars}: whether their SPARK_HOME has
     * Spark's jars (without, the workers come up but cannot start an executor).
     */
    static LocalCluster start(Path root, int workers, boolean jars) throws IOException, InterruptedException {
        LocalCluster c = new LocalCluster(root, freePort(), freePort());
        Runtime.getRuntime().addShutdownHook(c.hook);
        try {
            Path home = Files.createDirectories(root.resolve("spark-home"));
            Files.createDirectories(home.resolve("conf"));
            if (jars) {
                Path dir = Files.createDirectories(home.resolve("jars"));
                for (Path j : sparkJars()) Files.createSymbolicLink(dir.resolve(j.getFileName()), j);
            }
            c.launch("master", home, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", Integer.toString(c.port),
                    "--webui-port", Integer.toString(c.uiPort));
            for (int i = 0; i < workers; i++) {
                c.launch("worker" + i, home, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", "1", "--memory", "1g",
                        "--webui-port", Integer.toString(freePort()), "--work-dir", Files.createDirectories(root.resolve("work" + i)).toString(),
                        c.master());
            }
            c.awaitWorkers(workers, Duration.ofSeconds(90));
            return c;
        } catch (IOException | InterruptedException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private LocalCluster(Path root, int port, int uiPort) {
        this.root = root;
        this.port = port;
        this.uiPort = uiPort;
    }

    String master() {
        return "spark://127.0.0.1:" + port;
    }

    /** One Spark daemon: java with the driver's flags, Spark's jars, logs to root/NAME.log. */
    private void launch(String name, Path home, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "@" + Path.of("jvm.options").toAbsolutePath(), "-cp", String.join(java.io.File.pathSeparator, sparkJars().stream().map(Path::toString).toList()),
                main));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve(name + ".log").toFile());
        Map<String, String> env = pb.environment();
        env.put("SPARK_HOME", home.toString());
        env.put("SPARK_LOCAL_IP", "127.0.0.1");              // the daemons, their web UIs and the executors bind to loopback only
        env.put("SPARK_SCALA_VERSION", "2.13");              // else the command builder looks for a source build
        env.put("JAVA_HOME", System.getProperty("java.home"));
        env.remove("SPARK_CONF_DIR");
        processes.add(pb.start());
    }

    /** Waits until the master reports that many alive workers (its web UI's JSON). */
    private void awaitWorkers(int n, Duration wait) throws InterruptedException, IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long end = System.nanoTime() + wait.toNanos();
        Pattern alive = Pattern.compile("\"aliveworkers\"\\s*:\\s*(\\d+)");
        while (System.nanoTime() < end) {
            for (Process p : processes) if (!p.isAlive()) throw new IllegalStateException("a Spark daemon exited: " + logs());
            try {
                String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + uiPort + "/json/")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = alive.matcher(json);
                if (m.find() && Integer.parseInt(m.group(1)) >= n) return;
            } catch (IOException e) {
                // not up yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(n + " workers did not register within " + wait.toSeconds() + " s: " + logs());
    }

    /** The executor processes of an application alive now (children of the workers). */
    List<ProcessHandle> executors(String appId) {
        return processes.stream().flatMap(Process::descendants).filter(ProcessHandle::isAlive).filter(h -> {
            String cmd = h.info().commandLine().orElse("");
            return cmd.contains("CoarseGrainedExecutorBackend") && cmd.contains(appId);
        }).toList();
    }

    /** The last lines of every daemon's log, for a failure message. */
    String logs() {
        StringBuilder b = new StringBuilder();
        try (var files = Files.list(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                List<String> lines = Files.readAllLines(f);
                b.append("\n--- ").append(f.getFileName()).append('\n').append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size())));
            }
        } catch (IOException e) {
            b.append(e);
        }
        return b.toString();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Kills the executors, then the daemons, and waits for them to be gone. */
    private void kill() {
        for (Process p : processes) p.descendants().forEach(ProcessHandle::destroyForcibly);
        for (Process p : processes) p.destroyForcibly();
        for (Process p : processes) {
            try {
                p.onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // killed with SIGKILL: it goes; nothing more to do here
            }
        }
    }

    @Override public void close() {
        kill();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs anyway
        }
    }
}
