package dev.tessitura.model.melody;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.NoteSequence;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.PianoRollImage;
import dev.tessitura.midi.render.WavRenderer;
import dev.tessitura.model.EpochResult;
import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Position;
import dev.tessitura.model.Report;
import dev.tessitura.model.Settings;
import dev.tessitura.model.Trainer;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** The monophonic melody LSTM (melody-lstm) in the registry; its data is a folder of MIDI files, read as melodies. */
public final class MelodyKind implements ModelKind<MelodyConfig> {
    public static final MelodyKind MELODY = new MelodyKind();

    private MelodyKind() {}

    @Override public String name() { return "melody-lstm"; }

    @Override public String summary() { return "a monophonic melody LSTM over note events (Magenta's basic_rnn); --data is a folder of MIDI files"; }

    @Override public Settings<MelodyConfig> settings() { return MelodyConfig.SETTINGS; }

    @Override
    public Trainer trainer(Backend be, MelodyConfig config, Path data, int maxSequences, Report report) throws IOException {
        Data d = Data.load(data, maxSequences, report);
        return new Training(new MelodyTrainer(be, config), d);
    }

    @Override
    public Trainer resume(Backend be, SafeTensors.Contents saved, MelodyConfig config, Path data, int maxSequences, Report report)
            throws IOException {
        Data d = Data.load(data, maxSequences, report);
        return new Training(MelodyTrainer.load(be, saved, config), d);
    }

    /** The training and validation melodies of a MIDI folder. */
    private record Data(List<int[]> train, List<int[]> valid) {
        static Data load(Path folder, int maxSequences, Report report) throws IOException {
            if (!Files.isDirectory(folder)) throw new IllegalArgumentException("melody-lstm reads a folder of MIDI files, not " + folder);
            List<int[]> train = melodies(folder, "train", report), valid = melodies(folder, "valid", report);
            if (maxSequences > 0) train = train.subList(0, Math.min(maxSequences, train.size()));
            if (train.isEmpty()) throw new IllegalArgumentException(folder + ": no melodies of at least 7 bars found");
            report.line(String.format("data: %s: %d training melodies (%,d events), %d validation", folder, train.size(),
                    MelodyTrainer.eventsPerEpoch(train), valid.size()));
            return new Data(train, valid);
        }
    }

    /** The melodies of one split of a MIDI folder (train/valid/test sub-folders, or a flat folder split 80/10/10). */
    static List<int[]> melodies(Path folder, String split, Report report) throws IOException {
        List<int[]> out = new ArrayList<>();
        Path sub = folder.resolve(split);
        List<Path> files = MidiFolder.midiFiles(Files.isDirectory(sub) ? sub : folder);
        if (!Files.isDirectory(sub)) {
            int n = files.size(), a = n * 8 / 10, b = n * 9 / 10;
            files = switch (split) { case "train" -> files.subList(0, a); case "valid" -> files.subList(a, b); default -> files.subList(b, n); };
        }
        for (Path f : files) {
            try {
                out.addAll(MelodyExtractor.fromFile(f, MelodyExtractor.Options.DEFAULT));
            } catch (IOException | UncheckedIOException e) {
                report.warning("skipped " + f + ": " + (e.getMessage() == null ? e : e.getMessage()));
            }
        }
        return out;
    }

    /** The trainer as a run drives it; validation: NLL per event and argmax accuracy. */
    private record Training(MelodyTrainer t, Data d) implements Trainer {
        @Override public String describe() {
            return "melody-lstm " + Arrays.toString(t.config().hidden()) + ", " + t.model.lstm.params.size()
                    + " parameters, " + d.train().size() + " training melodies";
        }

        @Override public long framesPerEpoch() { return MelodyTrainer.eventsPerEpoch(d.train()); }

        @Override public EpochResult trainEpoch(Position from, BooleanSupplier stop, IntConsumer progress) {
            return t.trainEpoch(d.train(), from, stop, progress);
        }

        @Override public Tensor parameters() { return t.model.lstm.params; }

        @Override public Validation validate(int epoch, BooleanSupplier stop) {
            if (d.valid().isEmpty()) return Validation.NONE;
            MelodyModel.Evaluation ev = t.model.evaluate(d.valid(), stop);
            return ev == null ? null : new Validation(ev.nll(), ev.accuracy());
        }

        @Override public String costName() { return "cross-entropy per event"; }

        @Override public void save(Path file, Position at, Map<String, String> about) throws IOException { t.save(file, at, about); }
    }

    /** Generation's setting: the sampling temperature. */
    public record SampleOptions(double temperature) {
        public SampleOptions {
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("--temperature must be finite and >= 0, got " + temperature);
            }
        }
    }

    private static final Settings<SampleOptions> SAMPLE = Settings.of(new SampleOptions(1.0))
            .real(null, "--temperature", "T", "sampling temperature (0: the most likely event)", SampleOptions::temperature,
                    (o, v) -> new SampleOptions(v))
            .build();

    @Override public Sampling<SampleOptions> sampling() {
        return new Sampling<>() {
            @Override public Settings<SampleOptions> settings() { return SAMPLE; }

            @Override public String generate(Backend be, SafeTensors.Contents c, SampleOptions o, Request r, Report report) throws IOException {
                MelodyModel m = MelodyTrainer.load(be, c).model;
                int[] primer = r.prime() == null ? new int[] {MelodyEncoding.noteOn(60)} : MelodyExtractor.events(MidiReader.read(r.prime()), -1);
                int[] events = MelodySampling.generate(m, primer, r.steps(), o.temperature(), r.seed());
                Path song = r.song();
                String name = song.getFileName().toString(), base = name.substring(0, name.length() - 4);
                Path png = song.resolveSibling(base + ".png"), wav = song.resolveSibling(base + ".wav");
                MelodyMidi.write(events, 120, song);
                NoteSequence notes = MidiReader.read(song);
                WavRenderer.write(WavRenderer.render(notes, WavRenderer.Options.DEFAULT), wav);
                PianoRoll roll = MidiFolder.readRoll(song, new MidiFolder.Options(4, false, false, 0));
                PianoRollImage.write(roll, null, PianoRollImage.Options.DEFAULT.withTitle(base + ": melody, sixteenth notes")
                        .withFramesPerBar(16), png);
                return String.format("wrote %s (%d events), %s, %s", song, events.length, png, wav);
            }
        };
    }

    @Override public Evaluating<NoSettings> evaluating() {
        return new Evaluating<>() {
            @Override public Settings<NoSettings> settings() { return NoSettings.NONE; }

            @Override public Scores evaluate(Backend be, SafeTensors.Contents c, NoSettings o, Selection s, Report report) throws IOException {
                long t0 = System.nanoTime();
                List<int[]> melodies = melodies(s.data(), s.split(), report);
                if (s.every() > 1) melodies = IntStream.range(0, melodies.size()).filter(i -> i % s.every() == 0).mapToObj(melodies::get).toList();
                if (s.maxSequences() > 0) melodies = melodies.subList(0, Math.min(s.maxSequences(), melodies.size()));
                MelodyModel.Evaluation ev = MelodyTrainer.load(be, c).model.evaluate(melodies);
                report.line(String.format(Locale.ROOT, "%s, split %s: %d melodies, %,d predicted events (%.1f s)", s.data(), s.split(),
                        melodies.size(), ev.events(), (System.nanoTime() - t0) / 1e9));
                report.line(String.format(Locale.ROOT, "log-likelihood per event: %.4f nats; accuracy of the most likely event: %.2f%%",
                        -ev.nll(), 100 * ev.accuracy()));
                return new Scores(ev.events(), -ev.nll(), Double.NaN, ev.accuracy(), Map.of());
            }
        };
    }
}
