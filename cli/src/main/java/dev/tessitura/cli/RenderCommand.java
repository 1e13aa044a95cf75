package dev.tessitura.cli;

import dev.tessitura.cli.Main.Io;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.PianoRollImage;
import dev.tessitura.midi.render.WavRenderer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tessitura render}: a piano-roll picture and/or the sound of a MIDI file or of one data set sequence. */
@Command(name = "render", mixinStandardHelpOptions = true, sortOptions = false,
        description = "A piano-roll picture and/or the sound of a MIDI file or of one data set sequence (at least one of --png, --wav).")
final class RenderCommand implements Callable<Integer> {
    private static final Pattern SEQUENCE = Pattern.compile("(train|valid|test):(\\d{1,9})");
    /** A MIDI file's picture uses the benchmark grid: two frames per quarter note, not transposed. */
    private static final MidiFolder.Options MIDI_GRID = new MidiFolder.Options(2, false, false, 0);

    private final Io io;
    @Spec CommandSpec spec;
    @Parameters(paramLabel = "<input>", description = "a .mid/.midi file, or a data set file (.pickle/.pkl/.mat)") Path in;
    @Option(names = "--png", paramLabel = "FILE", description = "piano-roll picture (a MIDI file is drawn on a grid of eighth notes)") Path png;
    @Option(names = "--wav", paramLabel = "FILE", description = "sound, 16-bit PCM mono 44.1 kHz (a MIDI file plays at its own tempo)") Path wav;
    @Option(names = "--sequence", paramLabel = "SPLIT:I", description = "data set file: which sequence, e.g. train:12 (default: test:0)")
    String sequence;
    @Option(names = "--frame-seconds", paramLabel = "S", description = "data set file: seconds per frame (default: 0.25, eighth notes at 120 bpm)")
    Double frameSecondsGiven;
    @Option(names = "--frames-per-bar", paramLabel = "N", description = "picture: bar lines and numbers every N frames (8 for 4/4 in eighth notes)")
    int framesPerBar;
    @Option(names = "--full-range", description = "picture: all 88 notes, not only the range used") boolean fullRange;

    RenderCommand(Io io) {
        this.io = io;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    @Override public Integer call() throws IOException {
        double frameSeconds = frameSecondsGiven == null ? WavRenderer.Options.DEFAULT.frameSeconds() : frameSecondsGiven;
        if (png == null && wav == null) throw usage("nothing to do: give --png FILE and/or --wav FILE");
        if (!(frameSeconds > 0 && frameSeconds < Double.POSITIVE_INFINITY)) throw usage("--frame-seconds must be positive, got " + frameSeconds);
        if (framesPerBar < 0) throw usage("--frames-per-bar must not be negative, got " + framesPerBar);
        String name = in.getFileName() == null ? "" : in.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean midi = name.endsWith(".mid") || name.endsWith(".midi");
        boolean data = name.endsWith(".pickle") || name.endsWith(".pkl") || name.endsWith(".mat");
        if (!midi && !data) throw usage("<input> must be a .mid/.midi file or a .pickle/.pkl/.mat data set: " + in);
        if (midi && sequence != null) throw usage("--sequence applies to a data set file; a MIDI file is rendered whole, at its own tempo");
        if (midi && frameSecondsGiven != null) throw usage("--frame-seconds applies to a data set file; a MIDI file is rendered whole, at its own tempo");
        String spec = sequence == null ? "test:0" : sequence;
        Matcher m = SEQUENCE.matcher(spec);
        if (!m.matches()) throw usage("--sequence wants SPLIT:INDEX with SPLIT train, valid or test, got '" + spec + "'");
        DatasetCommand.mustExist(in);
        if (Files.isDirectory(in)) throw usage(in + " is a folder; render takes one file");

        var options = PianoRollImage.Options.DEFAULT.withFullRange(fullRange).withFramesPerBar(framesPerBar);
        PianoRoll roll = null;
        float[] sound = null;
        if (midi) {
            if (png != null) {
                roll = MidiFolder.readRoll(in, MIDI_GRID);
                options = options.withTitle(in.getFileName() + " (" + roll.frames() + " eighth notes)");
            }
            if (wav != null) sound = WavRenderer.render(MidiReader.read(in), WavRenderer.Options.DEFAULT);
        } else {
            Dataset d = DatasetLoader.load(in);
            List<PianoRoll> split = d.split(m.group(1));
            int i = Integer.parseInt(m.group(2));
            if (i >= split.size()) {
                throw new IllegalArgumentException("no sequence " + spec + " in " + in + ": " + m.group(1) + " has "
                        + split.size() + " sequences" + (split.isEmpty() ? "" : " (0.." + (split.size() - 1) + ")"));
            }
            roll = split.get(i);
            options = options.withTitle(in.getFileName() + " " + spec + " (" + roll.frames() + " frames)");
            if (wav != null) sound = WavRenderer.render(roll, WavRenderer.Options.DEFAULT.withFrameSeconds(frameSeconds));
        }
        if (png != null) {
            PianoRollImage.write(roll, null, options, png);
            var l = PianoRollImage.layout(roll, null, options);
            io.out().println("wrote " + png + " (" + l.width() + " x " + l.height() + ", notes "
                    + PianoRollImage.noteName(l.lowestShown()) + ".." + PianoRollImage.noteName(l.highestShown()) + ")");
        }
        if (wav != null) {
            WavRenderer.write(sound, wav);
            io.out().printf(Locale.ROOT, "wrote %s (%.2f s)%n", wav, sound.length / (double) WavRenderer.SAMPLE_RATE);
        }
        return 0;
    }
}
