package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MainTest {
    /** Output and exit code of one command. */
    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void infoListsEveryBackendAndTheSelectedOne() {
        Result r = run("info");
        assertEquals(0, r.code(), r.err());
        // surefire runs with the Vector API module, so both CPU backends are available; CUDA is not on a build machine
        assertTrue(r.out().contains("scalar  available"), r.out());
        assertTrue(r.out().contains("simd    available"), r.out());
        assertTrue(r.out().matches("(?s).*cuda    (available|unavailable: .+).*"), r.out());
        assertTrue(r.out().matches("(?s).*selected: simd: Vector API, (128|256|512)-bit .*, \\d+ threads?.*"), r.out());
    }

    @Test
    void unknownCommandIsAUsageError() {
        Result r = run("frobnicate");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown command 'frobnicate'"), r.err());
        assertTrue(r.err().contains("see 'tessitura --help'") && r.err().strip().lines().count() == 1, r.err());
    }

    @Test
    void noArgumentsPrintsUsage() {
        Result r = run();
        assertEquals(2, r.code());
        assertTrue(r.out().contains("Usage: tessitura"));
    }
}
