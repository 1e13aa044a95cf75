package dev.tessitura.midi;

import java.io.IOException;
import java.nio.file.Path;

/** A file that is not a usable Standard MIDI File (or dataset file); the message names the file and the problem. */
public class MidiFormatException extends IOException {
    public MidiFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public MidiFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
