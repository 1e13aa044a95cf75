package dev.tessitura.model.io;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file is not a valid safetensors file, or does not hold what the model needs; names file and problem. */
public final class CheckpointFormatException extends IOException {
    private final transient Path file;

    public CheckpointFormatException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** The offending file. */
    public Path file() { return file; }
}
