package dev.tessitura.model.baseline;

import dev.tessitura.midi.PianoRoll;
import dev.tessitura.model.Settings;
import dev.tessitura.model.io.SafeTensors;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** The paper's Random row: every note on with probability p (1/2: log-likelihood n ln 1/2 per frame). */
public final class RandomKind extends BaselineKind<RandomKind.Config> {
    public static final RandomKind RANDOM = new RandomKind();

    /** @param p every note's probability of being on */
    public record Config(double p) {
        public Config {
            if (!(p > 0 && p < 1)) throw new IllegalArgumentException("random: --p must be in (0, 1), got " + p);
        }
    }

    private static final Settings<Config> SETTINGS = Settings.of(new Config(0.5))
            .real("p", "--p", "P", "every note's probability of being on", Config::p, (c, v) -> new Config(v))
            .build();

    private RandomKind() {}

    @Override public String name() { return "random"; }

    @Override public String summary() { return "every note on with probability p, independently (the paper's Random row)"; }

    @Override public Settings<Config> settings() { return SETTINGS; }

    @Override NoteTable count(Config config, List<PianoRoll> train, int n) {
        return table(config.p());
    }

    @Override NoteTable load(Config config, SafeTensors.Contents c, int n) {
        return table(config.p());
    }

    private static NoteTable table(double q) {
        return new NoteTable() {
            @Override public void predict(float[] roll, int t, int n, double[] p) {
                Arrays.fill(p, 0, n, q);
            }

            @Override public Map<String, float[]> tensors() {
                return Map.of("p", new float[] {(float) q});
            }

            @Override public String describe() {
                return "p = " + q;
            }
        };
    }
}
