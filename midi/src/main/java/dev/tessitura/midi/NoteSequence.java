package dev.tessitura.midi;

import java.util.List;

/**
 * The notes of one MIDI file with its timing: {@code ppq} ticks per quarter note, {@code totalTicks} the tick of
 * the last event, and {@code droppedDrumNotes} the notes skipped because they were on the drum channel.
 */
public record NoteSequence(List<Note> notes, int ppq, long totalTicks, double totalSeconds, int droppedDrumNotes) {
    public NoteSequence {
        notes = List.copyOf(notes);
    }
}
