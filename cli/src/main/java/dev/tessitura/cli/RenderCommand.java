package dev.tessitura.cli;

import dev.tessitura.cli.DatasetCommand.UsageError;
import dev.tessitura.midi.Dataset;
import dev.tessitura.midi.DatasetLoader;
import dev.tessitura.midi.MidiFolder;
import dev.tessitura.midi.MidiReader;
import dev.tessitura.midi.PianoRoll;
import dev.tessitura.midi.render.PianoRollImage;
import dev.tessitura.midi.render.WavRenderer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code tessitura render}: a piano-roll picture and/or the sound of a MIDI file or of one data set sequence. */
final class RenderCommand {
    static final String USAGE = """
            usage: tessitura render <input> [--png out.png] [--wav out.wav] [options]   (at least one of --png, --wav)
              <input>              a .mid/.midi file, or a data set file (.pickle/.pkl/.mat)
              --png FILE           piano-roll picture (a MIDI file is drawn on a grid of eighth notes)
              --wav FILE           sound, 16-bit PCM mono 44.1 kHz (a MIDI file plays at its own tempo)
              --sequence SPLIT:I   data set file: which sequence, e.g. train:12 (default test:0)
              --frame-seconds S    data set file: seconds per frame (default 0.25, eighth notes at 120 bpm)
              --frames-per-bar N   picture: bar lines and numbers every N frames (8 for 4/4 in eighth notes)
              --full-range         picture: all 88 notes, not only the range used
            """;

    private static final Pattern SEQUENCE = Pattern.compile("(train|valid|test):(\\d{1,9})");
    /** A MIDI file's picture uses the benchmark grid: two frames per quarter note, not transposed. */
    private static final MidiFolder.Options MIDI_GRID = new MidiFolder.Options(2, false, false, 0);

    private RenderCommand() {}

    /** {@code args} are the words after "render"; returns 0 ok, 1 failure, 2 usage. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        try {
            return render(args, out);
        } catch (UsageError e) {
            err.println("tessitura render: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IOException | UncheckedIOException | IllegalArgumentException | IllegalStateException e) {
            err.println("tessitura render: " + DatasetCommand.failure(e));
            return 1;
        }
    }

    private static int render(String[] argv, PrintStream out) throws IOException {
        Args a = DatasetCommand.parse(argv, Set.of("png", "wav", "sequence", "frame-seconds", "frames-per-bar"), Set.of("full-range"));
        Path in, png, wav;
        double frameSeconds;
        int framesPerBar;
        try {
            in = Path.of(a.positional(0, "<input>"));
            a.maxPositionals(1);
            png = a.path("png");
            wav = a.path("wav");
            frameSeconds = a.number("frame-seconds", WavRenderer.Options.DEFAULT.frameSeconds());
            framesPerBar = a.integer("frames-per-bar", 0);
        } catch (IllegalArgumentException e) {
            throw new UsageError(e.getMessage());
        }
        if (png == null && wav == null) throw new UsageError("nothing to do: give --png FILE and/or --wav FILE");
        if (!(frameSeconds > 0)) throw new UsageError("--frame-seconds must be positive, got " + frameSeconds);
        if (framesPerBar < 0) throw new UsageError("--frames-per-bar must not be negative, got " + framesPerBar);
        String name = in.getFileName() == null ? "" : in.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean midi = name.endsWith(".mid") || name.endsWith(".midi");
        boolean data = name.endsWith(".pickle") || name.endsWith(".pkl") || name.endsWith(".mat");
        if (!midi && !data) throw new UsageError("<input> must be a .mid/.midi file or a .pickle/.pkl/.mat data set: " + in);
        if (midi) {
            for (String o : List.of("sequence", "frame-seconds")) {
                if (a.flag(o)) throw new UsageError("--" + o + " applies to a data set file; a MIDI file is rendered whole, at its own tempo");
            }
        }
        String spec = a.string("sequence", "test:0");
        Matcher m = SEQUENCE.matcher(spec);
        if (!m.matches()) throw new UsageError("--sequence wants SPLIT:INDEX with SPLIT train, valid or test, got '" + spec + "'");
        DatasetCommand.mustExist(in);
        if (Files.isDirectory(in)) throw new UsageError(in + " is a folder; render takes one file");

        var options = PianoRollImage.Options.DEFAULT.withFullRange(a.flag("full-range")).withFramesPerBar(framesPerBar);
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
            out.println("wrote " + png + " (" + l.width() + " x " + l.height() + ", notes "
                    + PianoRollImage.noteName(l.lowestShown()) + ".." + PianoRollImage.noteName(l.highestShown()) + ")");
        }
        if (wav != null) {
            WavRenderer.write(sound, wav);
            out.printf(Locale.ROOT, "wrote %s (%.2f s)%n", wav, sound.length / (double) WavRenderer.SAMPLE_RATE);
        }
        return 0;
    }
}
