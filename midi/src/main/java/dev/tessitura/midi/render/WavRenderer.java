package dev.tessitura.midi.render;

import dev.tessitura.midi.Note;
import dev.tessitura.midi.NoteSequence;
import dev.tessitura.midi.PianoRoll;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.sound.sampled.AudioFileFormat;
import javax.sound.sampled.AudioFormat;
import javax.sound.sampled.AudioInputStream;
import javax.sound.sampled.AudioSystem;

/**
 * Sound of a piano roll or of a MIDI file's notes: 16-bit PCM mono WAV at {@value #SAMPLE_RATE} Hz, made by a small
 * additive synthesizer of our own.
 *
 * <p>Why not the JDK's Gervill synthesizer: rendering it faster than real time needs
 * {@code com.sun.media.sound.AudioSynthesizer.openStream}, an internal class of a package the JDK does not export
 * (it would need {@code --add-exports} at compile and run time); the JDK ships no General MIDI soundbank, so Gervill
 * first builds its "emergency" soundbank, which is slow and sounds different across JDK versions; and its output is
 * not something a test can check exactly. Ours is a few lines, deterministic, needs no soundbank or audio device,
 * and a held A4 comes out at exactly 440 Hz.
 *
 * <p>The voice: partials k = 1..6 with amplitudes {@link #PARTIALS}, each decaying from 1 towards a sustain level
 * {@value #SUSTAIN} with time constant {@value #DECAY_SECONDS} s / k (higher partials fade first, as on a piano);
 * a raised-cosine attack and release (so notes neither start nor stop with a click); partials at or above 0.45 times
 * the sample rate are left out (no aliasing). The mix is scaled so its peak is {@value #PEAK} of full scale.
 */
public final class WavRenderer {
    public static final int SAMPLE_RATE = 44_100;
    static final double[] PARTIALS = {1, 0.42, 0.22, 0.12, 0.07, 0.04};
    static final double SUSTAIN = 0.35, DECAY_SECONDS = 1.2, PEAK = 0.89;

    /**
     * Synthesis options: seconds per piano-roll frame (the benchmark data has one frame per eighth note; at 120 bpm
     * that is {@link #DEFAULT}'s 0.25 s), attack and release times in seconds.
     */
    public record Options(double frameSeconds, double attackSeconds, double releaseSeconds) {
        public static final Options DEFAULT = new Options(0.25, 0.01, 0.12);

        public Options {
            if (!(frameSeconds > 0) || !(attackSeconds >= 0) || !(releaseSeconds >= 0)) {
                throw new IllegalArgumentException("bad sound options " + this);
            }
        }

        public Options withFrameSeconds(double s) { return new Options(s, attackSeconds, releaseSeconds); }
    }

    /** One note to sound: MIDI pitch, start and end in seconds, gain in (0, 1]. */
    record Tone(int pitch, double start, double end, double gain) {}

    private WavRenderer() {}

    /**
     * Samples in [-1, 1] for {@code roll}: consecutive frames of a pitch are one held note; the sound lasts
     * frames * frameSeconds plus the release.
     */
    public static float[] render(PianoRoll roll, Options o) {
        List<Tone> tones = new ArrayList<>();
        for (int note = roll.lowestNote(); note <= roll.highestNote(); note++) {
            for (int t = 0; t < roll.frames(); ) {
                if (!roll.isOn(t, note)) { t++; continue; }
                int end = t + 1;
                while (end < roll.frames() && roll.isOn(end, note)) end++;
                tones.add(new Tone(note, t * o.frameSeconds(), end * o.frameSeconds(), 80 / 127.0));
                t = end;
            }
        }
        return synthesize(tones, roll.frames() * o.frameSeconds(), o);
    }

    /**
     * Samples in [-1, 1] for a MIDI file's notes at their real times (so its tempo map is honoured), loudness from
     * velocity; the sound lasts the file's length plus the release. {@link Options#frameSeconds} is not used.
     */
    public static float[] render(NoteSequence seq, Options o) {
        List<Tone> tones = new ArrayList<>();
        for (Note n : seq.notes()) tones.add(new Tone(n.pitch(), n.startSeconds(), n.endSeconds(), n.velocity() / 127.0));
        return synthesize(tones, seq.totalSeconds(), o);
    }

    static float[] synthesize(List<Tone> tones, double seconds, Options o) {
        double end = seconds;
        for (Tone t : tones) end = Math.max(end, t.end());
        long n = Math.round((end + o.releaseSeconds()) * SAMPLE_RATE);
        if (n > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(end + " s of sound is too long to render");
        double[] mix = new double[(int) n];
        for (Tone t : tones) addTone(mix, t, o);
        double peak = 0;
        for (double v : mix) peak = Math.max(peak, Math.abs(v));
        float[] out = new float[mix.length];
        double scale = peak > 0 ? PEAK / peak : 0;
        for (int i = 0; i < mix.length; i++) out[i] = (float) (mix[i] * scale);
        return out;
    }

    /** Adds one tone to {@code mix} (seconds 0 = index 0). */
    private static void addTone(double[] mix, Tone t, Options o) {
        double f0 = 440 * Math.pow(2, (t.pitch() - 69) / 12.0);
        int from = (int) Math.round(t.start() * SAMPLE_RATE);
        int off = (int) Math.round(t.end() * SAMPLE_RATE);
        int release = (int) Math.round(o.releaseSeconds() * SAMPLE_RATE);
        int attack = (int) Math.round(o.attackSeconds() * SAMPLE_RATE);
        int to = Math.min(mix.length, off + release);
        int parts = 0;
        while (parts < PARTIALS.length && (parts + 1) * f0 < 0.45 * SAMPLE_RATE) parts++;
        // per partial k: a phasor (cos, sin) turned by 2 pi k f0 / rate each sample, and a decaying factor e_k
        double[] c = new double[parts], s = new double[parts], cw = new double[parts], sw = new double[parts];
        double[] e = new double[parts], d = new double[parts];
        for (int k = 0; k < parts; k++) {
            double w = 2 * Math.PI * (k + 1) * f0 / SAMPLE_RATE;
            c[k] = 1;
            cw[k] = Math.cos(w);
            sw[k] = Math.sin(w);
            e[k] = 1;
            d[k] = Math.exp(-(k + 1) / (DECAY_SECONDS * SAMPLE_RATE));
        }
        for (int i = from; i < to; i++) {
            int j = i - from;
            double env = t.gain();
            if (j < attack) env *= 0.5 * (1 - Math.cos(Math.PI * j / attack));
            if (i >= off) env *= 0.5 * (1 + Math.cos(Math.PI * (i - off) / release));
            double v = 0;
            for (int k = 0; k < parts; k++) {
                v += PARTIALS[k] * (SUSTAIN + (1 - SUSTAIN) * e[k]) * s[k];
                double cn = c[k] * cw[k] - s[k] * sw[k];
                s[k] = s[k] * cw[k] + c[k] * sw[k];
                c[k] = cn;
                e[k] *= d[k];
            }
            mix[i] += env * v;
        }
    }

    /** Writes samples in [-1, 1] (values outside are clipped) as a 16-bit PCM mono WAV. */
    public static void write(float[] samples, Path file) throws IOException {
        byte[] pcm = new byte[samples.length * 2];
        for (int i = 0; i < samples.length; i++) {
            int v = (int) Math.round(Math.clamp(samples[i], -1f, 1f) * 32767.0);
            pcm[2 * i] = (byte) v;
            pcm[2 * i + 1] = (byte) (v >> 8);
        }
        AudioFormat f = new AudioFormat(SAMPLE_RATE, 16, 1, true, false);
        try (AudioInputStream in = new AudioInputStream(new ByteArrayInputStream(pcm), f, samples.length);
             OutputStream out = Files.newOutputStream(file)) {
            AudioSystem.write(in, AudioFileFormat.Type.WAVE, out);
        }
    }
}
