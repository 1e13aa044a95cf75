package dev.tessitura.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetWriters;
import dev.tessitura.midi.PianoRoll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training split is read once per file while the file stays as it was, and again when it changes. */
class RollsTest {
    @TempDir Path dir;

    private static Path write(Path file, int tunes) throws Exception {
        List<PianoRoll> rolls = new java.util.ArrayList<>();
        for (int i = 0; i < tunes + 2; i++) rolls.add(PianoRoll.builder(5 + i, 21, 88).set(0, 60 + i).build());
        DatasetWriters.write(new Dataset("t", rolls.subList(0, tunes), rolls.subList(tunes, tunes + 1), rolls.subList(tunes + 1, tunes + 2)), file);
        return file;
    }

    @Test
    void aDataSetIsReadOnceUntilItsFileChanges() throws Exception {
        Path a = write(dir.resolve("a.pickle"), 3), b = write(dir.resolve("b.pickle"), 4);
        List<PianoRoll> first = Rolls.trainingSplit(a);
        assertEquals(3, first.size());
        assertSame(first, Rolls.trainingSplit(a), "the same file: not read again");
        ModelKind.Selection valid = new ModelKind.Selection(a, "valid", 1, 0);
        assertSame(Rolls.selection(valid), Rolls.selection(valid), "an evaluation's selection: not read again either");
        assertSame(first, Rolls.trainingSplit(a), "one data set kept for both");
        assertEquals(4, Rolls.trainingSplit(b).size());
        assertEquals(3, Rolls.trainingSplit(a).size());
        FileTime was = Files.getLastModifiedTime(a);
        write(a, 5);
        Files.setLastModifiedTime(a, FileTime.fromMillis(was.toMillis() + 2000));
        List<PianoRoll> changed = Rolls.trainingSplit(a);
        assertNotSame(first, changed);
        assertEquals(5, changed.size(), "a changed file is read again");
    }
}
