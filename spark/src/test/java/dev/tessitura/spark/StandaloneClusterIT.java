package dev.tessitura.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessitura.cli.Main;
import dev.tessitura.model.ModelKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkStageInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through a real standalone cluster on this machine (a master and two workers of one core each, separate processes,
 * 127.0.0.1 only), with the application jar shipped as to any cluster: a sweep equals the same sweep in local mode,
 * the evaluation equals the one-JVM evaluation bit for bit, also when an executor is killed with kill -9 in the middle
 * of the job (Spark runs its tasks again); a missing master and workers that cannot start executors are clear
 * errors within seconds.
 */
class StandaloneClusterIT {
    @TempDir static Path tmp;
    static LocalCluster cluster;
    static Path data, checkpoint;

    @BeforeAll
    static void start() throws Exception {
        cluster = LocalCluster.start(Files.createDirectories(tmp.resolve("cluster")), 2, true);
        data = TestData.write(tmp, 6, 8);
        checkpoint = ClusterEvaluationTest.model(tmp, data);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) cluster.close();
    }

    /** The options that send a command to the cluster, shipping the application jar. */
    static String[] onCluster() {
        return new String[] {"--master", cluster.master(), "--conf", "spark.jars=" + LocalCluster.appJar().toUri(),
                "--conf", "spark.executor.memory=512m", "--executor-wait", "60"};
    }

    @Test
    void sweepOnTheClusterEqualsTheLocalSweepThoughAnExecutorIsKilled() throws Exception {
        Path local = tmp.resolve("sweep-local"), remote = tmp.resolve("sweep-cluster");
        String[] sweep = {"sweep", "--model", "rnn-rbm", "--data", data.toString(), "--grid", SweepTest.GRID, "--epochs", "2", "--backend", "simd"};
        TestData.Result r = TestData.spark(ClusterEvaluationTest.concat(sweep, new String[] {"--out", local.toString(), "--master", "local[2]"}));
        assertEquals(0, r.code(), r.err());
        CompletableFuture<TestData.Result> job = CompletableFuture.supplyAsync(
                () -> TestData.spark(ClusterEvaluationTest.concat(ClusterEvaluationTest.concat(sweep, new String[] {"--out", remote.toString()}), onCluster())));
        killAnExecutorMidTask(job);
        r = job.get(5, TimeUnit.MINUTES);
        assertEquals(0, r.code(), r.err() + cluster.logs());
        assertTrue(r.out().contains("on executor"), r.out());
        // the same trials, the same checkpoints and figures; nothing partial in the folder
        List<String[]> a = SweepTest.rows(local), b = SweepTest.rows(remote);
        assertEquals(4, b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(List.of(a.get(i)).subList(0, 14), List.of(b.get(i)).subList(0, 14), "trial " + (i + 1));
            String id = a.get(i)[1];
            assertArrayEquals(Files.readAllBytes(local.resolve("trials").resolve(id + ".safetensors")),
                    Files.readAllBytes(remote.resolve("trials").resolve(id + ".safetensors")));
        }
        try (Stream<Path> files = Files.walk(remote)) {
            assertEquals(List.of(), files.filter(p -> p.getFileName().toString().contains(".tmp")).toList());
        }
    }

    @Test
    void evaluationOnTheClusterIsTheOneJvmEvaluationAlsoWhenAnExecutorIsKilled() throws Exception {
        String[] common = ClusterEvaluationTest.concat(new String[] {"evaluate", "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--backend", "simd"}, ClusterEvaluationTest.AIS);
        List<ModelKind.Scores> one = new ArrayList<>(), quiet = new ArrayList<>(), killed = new ArrayList<>();
        TestData.Result r = TestData.run((o, e) -> ClusterEvaluationTest.command(new Main.Io(o, e),
                ClusterEvaluationTest.recording(ClusterEvaluationTest.inOneJvm(), one)).execute(common));
        assertEquals(0, r.code(), r.err());
        String[] cmd = ClusterEvaluationTest.concat(common, ClusterEvaluationTest.concat(onCluster(), new String[] {"--tasks", "8"}));
        r = TestData.run((o, e) -> ClusterEvaluationTest.command(new Main.Io(o, e),
                ClusterEvaluationTest.recording(new ClusterEvaluation(), quiet)).execute(cmd));
        assertEquals(0, r.code(), r.err() + cluster.logs());
        assertEquals(one, quiet);
        // more AIS, so that the tasks run long enough to be killed in
        String[] longer = ClusterEvaluationTest.concat(cmd, new String[] {"--ais-steps", "1500"});
        String[] oneLonger = ClusterEvaluationTest.concat(common, new String[] {"--ais-steps", "1500"});
        one.clear();
        r = TestData.run((o, e) -> ClusterEvaluationTest.command(new Main.Io(o, e),
                ClusterEvaluationTest.recording(ClusterEvaluationTest.inOneJvm(), one)).execute(oneLonger));
        assertEquals(0, r.code(), r.err());
        CompletableFuture<TestData.Result> job = CompletableFuture.supplyAsync(() -> TestData.run((o, e) -> ClusterEvaluationTest.command(
                new Main.Io(o, e), ClusterEvaluationTest.recording(new ClusterEvaluation(), killed)).execute(longer)));
        killAnExecutorMidTask(job);
        r = job.get(5, TimeUnit.MINUTES);
        assertEquals(0, r.code(), r.err() + cluster.logs());
        assertEquals(one, killed);
    }

    @Test
    void aMissingMasterIsAClearErrorWithinSeconds() throws Exception {
        long t0 = System.nanoTime();
        TestData.Result r = TestData.spark("evaluate", "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                "--master", "spark://127.0.0.1:" + LocalCluster.freePort());
        assertEquals(1, r.code());
        assertTrue(r.err().matches("(?s)tessitura evaluate: no Spark master answers at 127\\.0\\.0\\.1:\\d+ \\(Connection refused\\).*"), r.err());
        assertTrue(System.nanoTime() - t0 < 10e9, "took " + (System.nanoTime() - t0) / 1e9 + " s");
    }

    @Test
    void workersThatCannotStartExecutorsAreAClearErrorWithinSeconds() throws Exception {
        try (LocalCluster broken = LocalCluster.start(Files.createDirectories(tmp.resolve("broken")), 1, false)) {
            long t0 = System.nanoTime();
            TestData.Result r = TestData.spark("sweep", "--model", "rnn-rbm", "--data", data.toString(), "--out", tmp.resolve("never").toString(),
                    "--grid", "hidden=8", "--epochs", "1", "--master", broken.master(), "--executor-wait", "8",
                    "--conf", "spark.jars=" + LocalCluster.appJar().toUri());
            double s = (System.nanoTime() - t0) / 1e9;
            assertEquals(1, r.code(), r.out());
            // the master gives up on the application after its executors fail ten times, or the wait ends first
            assertTrue(r.err().contains("tessitura sweep: no executor joined from " + broken.master() + " within 8 s")
                    || r.err().contains("tessitura sweep: the cluster gave up on this application"), r.err());
            assertTrue(s < 30, "took " + s + " s");
            assertFalse(Files.exists(tmp.resolve("never").resolve("trials.csv")), "nothing is written before trials run");
        }
    }

    @Test
    void aMasterWithoutWorkersIsAClearErrorAfterTheWait() throws Exception {
        // as when its only worker could not start: no executor ever comes
        try (LocalCluster empty = LocalCluster.start(Files.createDirectories(tmp.resolve("empty")), 0, true)) {
            long t0 = System.nanoTime();
            TestData.Result r = TestData.spark("evaluate", "--checkpoint", checkpoint.toString(), "--data", data.toString(),
                    "--master", empty.master(), "--executor-wait", "3");
            double s = (System.nanoTime() - t0) / 1e9;
            assertEquals(1, r.code(), r.out());
            assertTrue(r.err().contains("tessitura evaluate: no executor joined from " + empty.master() + " within 3 s: is a worker up with 1 "
                    + "free core(s) and 1g of free memory"), r.err());
            assertTrue(s < 15, "took " + s + " s");
        }
    }

    /** Waits until a task runs on the cluster, then kills the executor process running it with SIGKILL. */
    static void killAnExecutorMidTask(CompletableFuture<?> job) throws InterruptedException {
        long end = System.nanoTime() + 120_000_000_000L;
        while (System.nanoTime() < end && !job.isDone()) {
            scala.Option<SparkContext> sc = org.apache.spark.SparkContext$.MODULE$.getActive();   // Spark-private, public in bytecode
            List<ProcessHandle> own = sc.isDefined() ? cluster.executors(sc.get().applicationId()) : List.of();
            if (sc.isDefined() && activeTasks(sc.get()) > 0 && !own.isEmpty()) {
                Thread.sleep(300);                                         // well inside the task
                ProcessHandle victim = own.get(0);
                assertTrue(victim.destroyForcibly(), "kill -9 of executor " + victim.pid());
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no task ran on the cluster to be killed in" + cluster.logs());
    }

    private static int activeTasks(SparkContext sc) {
        int n = 0;
        for (int id : sc.statusTracker().getActiveStageIds()) {
            scala.Option<SparkStageInfo> s = sc.statusTracker().getStageInfo(id);
            if (s.isDefined()) n += s.get().numActiveTasks();
        }
        return n;
    }
}
