package dev.tessitura.midi;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.sound.midi.InvalidMidiDataException;
import javax.sound.midi.MetaMessage;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;

/**
 * Reads Standard MIDI Files (type 0 and 1, PPQ division) into a {@link NoteSequence} through javax.sound.midi.
 *
 * <p>Rules: a note-on with velocity 0 is a note-off; overlapping note-ons of the same pitch and channel are
 * counted and make one note from the first note-on until the matching count of note-offs (the last overlapping
 * one ends it); notes still sounding at the end end at the file's last event; channel 10 (index 9) is skipped
 * unless {@code includeDrums}. Tempo events in any track make the tempo map (120 bpm until the first).
 */
public final class MidiReader {
    /** Files bigger than this (or than the heap / {@value #HEAP_FACTOR}) are refused before parsing. */
    public static final long MAX_FILE_BYTES = 64L << 20;
    /** The JDK's parser holds an event of 2-3 file bytes in about 100 bytes of objects. */
    static final int HEAP_FACTOR = 64;
    /** Files whose last event is later than this many quarter notes are refused (absurd tick values). */
    public static final long MAX_QUARTERS = 1L << 20;
    /** Files longer than this many seconds (six hours) at their tempo map are refused (absurd tempos). */
    public static final double MAX_SECONDS = 6 * 3600;

    private MidiReader() {}

    /** Reads {@code file}, skipping the drum channel. */
    public static NoteSequence read(Path file) throws IOException {
        return read(file, false);
    }

    /** Reads {@code file}; throws {@link MidiFormatException} naming the file for anything unusable. */
    public static NoteSequence read(Path file, boolean includeDrums) throws IOException {
        long size = Files.size(file), heap = Runtime.getRuntime().maxMemory();
        if (size > MAX_FILE_BYTES) throw new MidiFormatException(file, size + " bytes is too big for a MIDI file");
        if (size > heap / HEAP_FACTOR) {
            throw new MidiFormatException(file, size + " bytes is too big a MIDI file for this JVM's heap of "
                    + (heap >> 20) + " MB (reading takes up to " + HEAP_FACTOR + " times the file's size); raise -Xmx");
        }
        return read(Files.readAllBytes(file), file, includeDrums);
    }

    /** Reads MIDI bytes; {@code name} only labels errors. */
    public static NoteSequence read(byte[] bytes, Path name, boolean includeDrums) throws MidiFormatException {
        validateChunks(bytes, name);
        Sequence seq;
        try {
            seq = MidiSystem.getSequence(new ByteArrayInputStream(bytes));
        } catch (InvalidMidiDataException | IOException e) {
            throw new MidiFormatException(name, "not a readable MIDI file (the MIDI parser says: "
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")", e);
        } catch (RuntimeException e) { // the JDK parser throws odd runtime exceptions on corrupt tracks
            throw new MidiFormatException(name, "corrupt MIDI event data that the parser cannot read", e);
        }
        return toNotes(seq, name, includeDrums);
    }

    /** Our own check of the chunk structure, so the JDK parser only sees well-framed data. */
    static void validateChunks(byte[] b, Path name) throws MidiFormatException {
        if (b.length == 0) throw new MidiFormatException(name, "empty file");
        if (b.length < 14 || b[0] != 'M' || b[1] != 'T' || b[2] != 'h' || b[3] != 'd') {
            throw new MidiFormatException(name, "not a MIDI file (no MThd header)");
        }
        int hlen = be32(b, 4);
        if (hlen < 6 || 8L + hlen > b.length) throw new MidiFormatException(name, "bad header length " + hlen);
        int format = be16(b, 8), tracks = be16(b, 10), division = be16(b, 12);
        if (format > 1) throw new MidiFormatException(name, "MIDI format " + format + " is not supported (only 0 and 1)");
        if ((division & 0x8000) != 0) throw new MidiFormatException(name, "SMPTE time division is not supported");
        if (division == 0) throw new MidiFormatException(name, "division of 0 ticks per quarter note");
        if (tracks == 0) throw new MidiFormatException(name, "no tracks");
        // the JDK's parser takes the count as signed and would silently read no tracks at all
        if (tracks > Short.MAX_VALUE) throw new MidiFormatException(name, tracks + " tracks; at most " + Short.MAX_VALUE + " are supported");
        long pos = 8L + hlen;
        int found = 0;
        while (found < tracks) {
            if (pos + 8 > b.length) {
                throw new MidiFormatException(name, "truncated: " + found + " of " + tracks + " tracks present");
            }
            int p = (int) pos;
            long len = be32(b, p + 4) & 0xFFFFFFFFL;
            if (pos + 8 + len > b.length) throw new MidiFormatException(name, "truncated track chunk at byte " + pos);
            if (b[p] == 'M' && b[p + 1] == 'T' && b[p + 2] == 'r' && b[p + 3] == 'k') found++;
            pos += 8 + len;
        }
    }

    private static int be16(byte[] b, int i) { return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF); }
    private static int be32(byte[] b, int i) { return be16(b, i) << 16 | be16(b, i + 2); }

    static NoteSequence toNotes(Sequence seq, Path name, boolean includeDrums) throws MidiFormatException {
        if (seq.getDivisionType() != Sequence.PPQ) throw new MidiFormatException(name, "SMPTE time division is not supported");
        int ppq = seq.getResolution();
        if (ppq <= 0) throw new MidiFormatException(name, "division of " + ppq + " ticks per quarter note");
        long last = 0;
        TreeMap<Long, Integer> tempos = new TreeMap<>(); // tick -> microseconds per quarter
        for (Track t : seq.getTracks()) {
            for (int i = 0; i < t.size(); i++) {
                MidiEvent e = t.get(i);
                if (e.getTick() < 0) throw new MidiFormatException(name, "negative tick " + e.getTick());
                last = Math.max(last, e.getTick());
                if (e.getMessage() instanceof MetaMessage m && m.getType() == 0x51) {
                    byte[] d = m.getData();
                    if (d.length != 3) throw new MidiFormatException(name, "tempo event with " + d.length + " data bytes");
                    int us = (d[0] & 0xFF) << 16 | (d[1] & 0xFF) << 8 | (d[2] & 0xFF);
                    if (us == 0) throw new MidiFormatException(name, "tempo of 0 microseconds per quarter at tick " + e.getTick());
                    tempos.put(e.getTick(), us);
                }
            }
        }
        if (last / ppq > MAX_QUARTERS) {
            throw new MidiFormatException(name, "last event at tick " + last + " is " + last / ppq
                    + " quarter notes in, more than the limit " + MAX_QUARTERS);
        }
        TempoMap map = new TempoMap(ppq, tempos);
        if (map.seconds(last) > MAX_SECONDS) {
            throw new MidiFormatException(name, "last event at " + Math.round(map.seconds(last)) + " s (tick " + last
                    + ") is more than the limit of " + Math.round(MAX_SECONDS) + " s in");
        }
        List<Note> notes = new ArrayList<>();
        int drums = 0;
        for (Track t : seq.getTracks()) {
            // per (channel, pitch): how many note-ons are open, and the first one's tick and velocity
            Map<Integer, long[]> open = new HashMap<>();
            int[] program = new int[16];
            for (int i = 0; i < t.size(); i++) {
                if (!(t.get(i).getMessage() instanceof ShortMessage m)) continue;
                long tick = t.get(i).getTick();
                int ch = m.getChannel(), cmd = m.getCommand();
                if (cmd == ShortMessage.PROGRAM_CHANGE) { program[ch] = m.getData1(); continue; }
                boolean on = cmd == ShortMessage.NOTE_ON && m.getData2() > 0;
                boolean off = cmd == ShortMessage.NOTE_OFF || cmd == ShortMessage.NOTE_ON && m.getData2() == 0;
                if (!on && !off) continue;
                if (ch == 9 && !includeDrums) { if (on) drums++; continue; }
                int key = ch << 7 | m.getData1();
                long[] o = open.get(key);
                if (on) {
                    if (o == null) open.put(key, new long[] {1, tick, m.getData2(), program[ch]});
                    else o[0]++;
                } else if (o != null && --o[0] == 0) { // a note-off with nothing open is ignored
                    open.remove(key);
                    notes.add(note(key, o, tick, map));
                }
            }
            for (var e : open.entrySet()) notes.add(note(e.getKey(), e.getValue(), last, map));
        }
        notes.sort((a, b) -> a.startTick() != b.startTick() ? Long.compare(a.startTick(), b.startTick())
                : Integer.compare(a.pitch(), b.pitch()));
        return new NoteSequence(notes, ppq, last, map.seconds(last), drums);
    }

    private static Note note(int key, long[] o, long endTick, TempoMap map) {
        return new Note(key & 127, o[1], endTick, map.seconds(o[1]), map.seconds(endTick), (int) o[2], key >> 7, (int) o[3]);
    }

    /** Piecewise-linear tick to seconds conversion. */
    static final class TempoMap {
        private final int ppq;
        private final long[] ticks;
        private final int[] us;
        private final double[] secs;

        TempoMap(int ppq, TreeMap<Long, Integer> tempos) {
            this.ppq = ppq;
            TreeMap<Long, Integer> t = new TreeMap<>(tempos);
            t.putIfAbsent(0L, 500_000); // 120 bpm until the first tempo event
            ticks = new long[t.size()];
            us = new int[t.size()];
            secs = new double[t.size()];
            int i = 0;
            for (var e : t.entrySet()) {
                ticks[i] = e.getKey();
                us[i] = e.getValue();
                if (i > 0) secs[i] = secs[i - 1] + (ticks[i] - ticks[i - 1]) * us[i - 1] / (1e6 * ppq);
                i++;
            }
        }

        /** Binary search: a file with thousands of tempo changes and notes stays fast. */
        double seconds(long tick) {
            int i = Arrays.binarySearch(ticks, tick);
            if (i < 0) i = Math.max(0, -i - 2); // the last tempo change before tick
            return secs[i] + (tick - ticks[i]) * us[i] / (1e6 * ppq);
        }
    }
}
