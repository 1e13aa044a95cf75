package dev.tessitura.midi;

/**
 * One sounding note: MIDI pitch, start and end in ticks and in seconds (through the tempo map), velocity,
 * 0-based channel and the program in force on that channel when the note started.
 */
public record Note(int pitch, long startTick, long endTick, double startSeconds, double endSeconds,
                   int velocity, int channel, int program) {
}
