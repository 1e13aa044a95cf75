package dev.tessitura.cli;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ArgsTest {
    @Test
    void parsesPositionalsValuesAndFlags() {
        Args a = Args.parse(new String[] {"in.mid", "--png", "x.png", "--fpq=4", "--hold", "out"},
                Set.of("png", "fpq"), Set.of("hold"));
        assertEquals(List.of("in.mid", "out"), a.positionals());
        assertEquals("x.png", a.string("png", null));
        assertEquals(4, a.integer("fpq", 2));
        assertEquals(7, a.integer("missing", 7));
        assertTrue(a.flag("hold"));
        assertFalse(a.flag("other"));
    }

    @Test
    void rejectsUnknownOrIncompleteOptions() {
        assertEquals("unknown option --pgn", assertThrows(IllegalArgumentException.class,
                () -> Args.parse(new String[] {"--pgn", "x"}, Set.of("png"), Set.of())).getMessage());
        assertEquals("--png needs a value", assertThrows(IllegalArgumentException.class,
                () -> Args.parse(new String[] {"--png"}, Set.of("png"), Set.of())).getMessage());
        Args a = Args.parse(new String[] {"--fpq", "two"}, Set.of("fpq"), Set.of());
        assertEquals("--fpq wants an integer, got 'two'", assertThrows(IllegalArgumentException.class,
                () -> a.integer("fpq", 2)).getMessage());
    }
}
