package dev.tessitura.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.launcher.JavaModuleOptions;
import org.junit.jupiter.api.Test;

/** The JVM flags and Spark settings every driver and executor gets. */
class SparkSetupTest {
    @Test
    void theLaunchersFlagsHoldSparksOwnList() throws Exception {
        List<String> file = Files.readAllLines(Path.of("jvm.options")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        for (String o : JavaModuleOptions.defaultModuleOptionArray()) {
            if (o.startsWith("--add-opens=") && !packageExists(o)) continue;      // the JVM warns of a package it lacks
            assertTrue(file.contains(o), "spark/jvm.options lacks Spark's " + o);
        }
        assertTrue(file.contains("--add-modules=jdk.incubator.vector"));
        String launcher = Files.readString(Path.of("..", "tessitura"));
        assertTrue(launcher.contains("@\"$root/spark/jvm.options\""), "the launcher passes the file to the driver");
    }

    /** --add-opens=module/package=ALL-UNNAMED: does this JDK have the package? */
    private static boolean packageExists(String option) {
        String[] mp = option.substring("--add-opens=".length(), option.lastIndexOf('=')).split("/");
        return ModuleLayer.boot().findModule(mp[0]).map(m -> m.getPackages().contains(mp[1])).orElse(false);
    }

    @Test
    void executorsGetSparksFlagsTheVectorApiAndTheUsersOptions() {
        SparkSetup.Options o = new SparkSetup.Options("spark://10.0.0.1:7077", 2, Duration.ofSeconds(5),
                SparkSetup.conf(List.of("spark.executor.extraJavaOptions=-Dx=1", "spark.executor.memory = 3g")));
        SparkConf c = SparkSetup.sparkConf("t", o);
        String opts = c.get("spark.executor.extraJavaOptions");
        assertTrue(opts.startsWith(JavaModuleOptions.defaultModuleOptions()), opts);
        assertTrue(opts.contains("--add-modules=jdk.incubator.vector") && opts.endsWith(" -Dx=1"), opts);
        assertEquals("3g", c.get("spark.executor.memory"));
        assertEquals("2", c.get("spark.task.cpus"));
        assertFalse(c.contains("spark.driver.bindAddress"), "a remote master must reach the driver: Spark's default address");
        SparkConf local = SparkSetup.sparkConf("t", new SparkSetup.Options("local[*]", 1, Duration.ofSeconds(5), Map.of()));
        assertEquals("127.0.0.1", local.get("spark.driver.bindAddress"));
        assertEquals("false", local.get("spark.ui.enabled"));
        assertFalse(local.contains("spark.jars"), "local mode: the classes are here");
    }

    @Test
    void badSettingsAreOneLineErrors() {
        assertEquals("--conf wants KEY=VALUE (a Spark setting), got 'spark.x'",
                assertThrows(IllegalArgumentException.class, () -> SparkSetup.conf(List.of("spark.x"))).getMessage());
        assertEquals("--task-cpus must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new SparkSetup.Options("local", 0, Duration.ofSeconds(1), Map.of())).getMessage());
        assertEquals("--master spark://h:x: 'h:x' is not host:port",
                assertThrows(IllegalArgumentException.class, () -> SparkSetup.checkMaster("spark://h:x", Duration.ofSeconds(1))).getMessage());
        SparkSetup.checkMaster("local[2]", Duration.ofSeconds(1));                 // not a standalone master: Spark's to check
    }
}
