package dev.tessitura.midi.render;

import static org.junit.jupiter.api.Assertions.*;

import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.MidiWriter;
import dev.tessitura.midi.PianoRoll;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import javax.sound.midi.MetaMessage;
import javax.sound.midi.MidiEvent;
import javax.sound.midi.MidiSystem;
import javax.sound.midi.Sequence;
import javax.sound.midi.ShortMessage;
import javax.sound.midi.Track;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WavRendererTest {
    @TempDir Path dir;
    static final int RATE = WavRenderer.SAMPLE_RATE;

    /** Reads a WAV back through AudioSystem, checking it is 16-bit signed little-endian mono at 44.1 kHz. */
    static double[] readWav(Path file) throws Exception {
        try (AudioInputStream in = AudioSystem.getAudioInputStream(file.toFile())) {
            AudioFormat f = in.getFormat();
            assertEquals(RATE, f.getSampleRate(), 0);
            assertEquals(16, f.getSampleSizeInBits());
            assertEquals(1, f.getChannels());
            assertEquals(AudioFormat.Encoding.PCM_SIGNED, f.getEncoding());
            assertFalse(f.isBigEndian());
            byte[] b = ((InputStream) in).readAllBytes();
            assertEquals(in.getFrameLength() * 2, b.length);
            double[] x = new double[b.length / 2];
            for (int i = 0; i < x.length; i++) x[i] = (short) ((b[2 * i] & 0xFF) | b[2 * i + 1] << 8) / 32768.0;
            return x;
        }
    }

    static double peak(double[] x, int from, int to) {
        double p = 0;
        for (int i = from; i < to; i++) p = Math.max(p, Math.abs(x[i]));
        return p;
    }

    static double rms(double[] x, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) s += x[i] * x[i];
        return Math.sqrt(s / (to - from));
    }

    /** The frequency in [lo, hi] Hz (step 0.5 Hz) with the largest DFT magnitude over x[from, from + n). */
    static double dominant(double[] x, int from, int n, double lo, double hi) {
        double best = 0, bestF = 0;
        for (double f = lo; f <= hi; f += 0.5) {
            double w = 2 * Math.PI * f / RATE, re = 0, im = 0;
            for (int i = 0; i < n; i++) {
                double hann = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / (n - 1)); // limits leakage from other partials
                re += hann * x[from + i] * Math.cos(w * i);
                im += hann * x[from + i] * Math.sin(w * i);
            }
            double m = re * re + im * im;
            if (m > best) { best = m; bestF = f; }
        }
        return bestF;
    }

    @Test
    void heldA4Is440HzWithTheRightLengthAndLevel() throws Exception {
        int frames = 8;
        PianoRoll roll = PianoRoll.builder(frames, 21, 88).build();
        PianoRoll.Builder b = PianoRoll.builder(frames, 21, 88);
        for (int t = 0; t < frames; t++) b.set(t, 69);
        roll = b.build();
        var o = WavRenderer.Options.DEFAULT;
        Path wav = dir.resolve("a4.wav");
        WavRenderer.write(WavRenderer.render(roll, o), wav);
        double[] x = readWav(wav);
        double seconds = x.length / (double) RATE;
        assertEquals(frames * 0.25 + o.releaseSeconds(), seconds, 0.003);
        double p = peak(x, 0, x.length);
        assertTrue(p <= 1.0 && p > 0.1, "peak " + p);
        // 0.1 s windows in the middle of the note, 0.1 Hz resolution is plenty for 1 %
        int n = RATE / 10;
        double f = dominant(x, RATE / 2, n, 50, 2000);
        assertEquals(440, f, 4.4, "dominant frequency");
        // the partials are exact multiples: the second-strongest region is 880 Hz
        assertEquals(880, dominant(x, RATE / 2, n, 600, 2000), 8.8);
        // a held note is one tone: no dip at the frame boundary at 0.5 s
        double atBoundary = rms(x, RATE / 2 - 441, RATE / 2 + 441), before = rms(x, RATE * 4 / 10 - 441, RATE * 4 / 10 + 441);
        assertTrue(atBoundary > 0.85 * before, atBoundary + " vs " + before);
    }

    @Test
    void emptyRollIsSilenceOfTheRightLength() throws Exception {
        Path wav = dir.resolve("empty.wav");
        WavRenderer.write(WavRenderer.render(PianoRoll.builder(6, 21, 88).build(), WavRenderer.Options.DEFAULT), wav);
        double[] x = readWav(wav);
        assertEquals(6 * 0.25 + 0.12, x.length / (double) RATE, 0.003);
        assertEquals(0, peak(x, 0, x.length));
    }

    @Test
    void notesStartAndStopWithoutClicks() throws Exception {
        // a C major chord in frames 2..5 of 8 at 0.1 s per frame: silence, a smooth onset, a smooth release, silence
        PianoRoll.Builder b = PianoRoll.builder(8, 21, 88);
        for (int t = 2; t < 6; t++) b.set(t, 60).set(t, 64).set(t, 67);
        var o = WavRenderer.Options.DEFAULT.withFrameSeconds(0.1);
        float[] s = WavRenderer.render(b.build(), o);
        assertEquals(Math.round((0.8 + 0.12) * RATE), s.length);
        int on = (int) Math.round(0.2 * RATE), off = (int) Math.round(0.6 * RATE);
        double peak = 0, maxStep = 0;
        for (float v : s) peak = Math.max(peak, Math.abs(v));
        assertEquals(WavRenderer.PEAK, peak, 1e-6, "normalised to the target peak");
        for (int i = 0; i < on; i++) assertEquals(0f, s[i], "silence before the chord at sample " + i);
        for (int i = off + (int) Math.round(0.12 * RATE); i < s.length; i++) assertEquals(0f, s[i], 1e-7, "silence after the release");
        for (int i = 1; i < s.length; i++) maxStep = Math.max(maxStep, Math.abs(s[i] - s[i - 1]));
        // the sharpest legitimate slope is the 6th partial of G4 (2.4 kHz), far less than a jump to full level
        assertTrue(maxStep < 0.35 * peak, "largest sample step " + maxStep);
        assertTrue(Math.abs(s[on]) < 0.01 && Math.abs(s[on + 5]) < 0.05 * peak, "the attack starts from zero");
        assertTrue(rms(toDouble(s), off + 5200, off + 5290) < 0.02, "released by the end of the release time");
    }

    static double[] toDouble(float[] s) {
        double[] d = new double[s.length];
        for (int i = 0; i < s.length; i++) d[i] = s[i];
        return d;
    }

    @Test
    void midiFileHonoursItsTempoMap() throws Exception {
        // note 1: ticks 0-480 at 120 bpm (0 - 0.5 s); tempo becomes 60 bpm at tick 480;
        // note 2: ticks 960-1440 (1.5 - 2.5 s); the file ends at 2.5 s
        Sequence seq = new Sequence(Sequence.PPQ, 480);
        Track t = seq.createTrack();
        t.add(new MidiEvent(tempo(500_000), 0));
        t.add(new MidiEvent(tempo(1_000_000), 480));
        t.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_ON, 0, 69, 100), 0));
        t.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_OFF, 0, 69, 0), 480));
        t.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_ON, 0, 76, 100), 960));
        t.add(new MidiEvent(new ShortMessage(ShortMessage.NOTE_OFF, 0, 76, 0), 1440));
        Path mid = dir.resolve("tempo.mid");
        MidiSystem.write(seq, 0, mid.toFile());
        var o = WavRenderer.Options.DEFAULT;
        Path wav = dir.resolve("tempo.wav");
        WavRenderer.write(WavRenderer.render(MidiReader.read(mid), o), wav);
        double[] x = readWav(wav);
        assertEquals(2.5 + o.releaseSeconds(), x.length / (double) RATE, 0.003);
        assertTrue(rms(x, (int) (0.1 * RATE), (int) (0.4 * RATE)) > 0.05, "first note sounds");
        assertEquals(0, peak(x, (int) (0.65 * RATE), (int) (1.49 * RATE)), 1e-4, "silence between the notes");
        assertTrue(rms(x, (int) (1.6 * RATE), (int) (2.4 * RATE)) > 0.05, "second note sounds");
        assertEquals(659.3, dominant(x, (int) (1.8 * RATE), RATE / 10, 300, 1000), 6.6, "E5");
    }

    @Test
    void midiWrittenFromARollSoundsLikeTheRoll() throws Exception {
        // at 120 bpm and 2 frames per quarter a frame is 0.25 s: both paths make the same notes at the same times
        PianoRoll.Builder b = PianoRoll.builder(6, 21, 88);
        for (int t = 1; t < 4; t++) b.set(t, 62);
        b.set(4, 65);
        PianoRoll roll = b.build();
        Path mid = dir.resolve("roll.mid");
        MidiWriter.write(roll, MidiWriter.Options.DEFAULT, mid);
        float[] fromMidi = WavRenderer.render(MidiReader.read(mid), WavRenderer.Options.DEFAULT);
        float[] fromRoll = WavRenderer.render(roll, WavRenderer.Options.DEFAULT);
        assertEquals(fromRoll.length, fromMidi.length);
        for (int i = 0; i < fromRoll.length; i++) assertEquals(fromRoll[i], fromMidi[i], 1e-5, "sample " + i);
    }

    private static MetaMessage tempo(int us) throws Exception {
        return new MetaMessage(0x51, new byte[] {(byte) (us >> 16), (byte) (us >> 8), (byte) us}, 3);
    }

    @Test
    void badOptionsAndMissingFolder() {
        assertThrows(IllegalArgumentException.class, () -> new WavRenderer.Options(0, 0.01, 0.1));
        assertThrows(IllegalArgumentException.class, () -> new WavRenderer.Options(0.25, -1, 0.1));
        assertThrows(IOException.class, () -> WavRenderer.write(new float[10], dir.resolve("no/such/folder.wav")));
    }
}
