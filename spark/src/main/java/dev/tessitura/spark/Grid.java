package dev.tessitura.spark;

import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Settings;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A sweep's grid: {@code key=v1,v2;key=v1,...}, each key a setting of the model named as its option without
 * {@code --} (lr-rbm, hidden), each value as that option takes it; a list-valued setting's value in brackets
 * ({@code hidden=[120,120],[200]}). A key with one value fixes it. The trials are every combination, the first key
 * varying slowest, or {@code --random N} distinct ones of them drawn with the sweep's seed. A key the model does not
 * have, or a value its setting rejects, is an error naming it before anything runs.
 */
final class Grid {
    /** One key and its values, as typed. */
    record Axis(String key, List<String> values) {}

    private final ModelKind<?> kind;
    private final List<Axis> axes;

    private Grid(ModelKind<?> kind, List<Axis> axes) {
        this.kind = kind;
        this.axes = List.copyOf(axes);
    }

    List<Axis> axes() {
        return axes;
    }

    /** The keys that take more than one value: the swept parameters. */
    List<String> swept() {
        return axes.stream().filter(a -> a.values().size() > 1).map(Axis::key).toList();
    }

    /** Parses and checks a grid for a model. */
    static Grid parse(ModelKind<?> kind, String text) {
        List<Axis> axes = new ArrayList<>();
        for (String part : text.split(";")) {
            if (part.isBlank()) continue;
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--grid: '" + part.strip() + "' is not key=value,value,...");
            String key = part.substring(0, eq).strip();
            if (key.startsWith("--")) key = key.substring(2);
            List<String> values = split(part.substring(eq + 1), key);
            Settings.Setting<?> s = setting(kind, key);
            if (axes.stream().anyMatch(a -> a.key().equals(s.name().substring(2)))) {
                throw new IllegalArgumentException("--grid: " + key + " is given twice");
            }
            for (String v : values) check(kind, s, v);
            axes.add(new Axis(s.name().substring(2), values));
        }
        if (axes.isEmpty()) throw new IllegalArgumentException("--grid: no key=values given");
        return new Grid(kind, axes);
    }

    /** The values of one key: commas separate them, except inside brackets, which are taken off. */
    private static List<String> split(String text, String key) {
        List<String> out = new ArrayList<>();
        int depth = 0, start = 0;
        for (int i = 0; i <= text.length(); i++) {
            char c = i < text.length() ? text.charAt(i) : ',';
            if (c == '[') depth++;
            else if (c == ']') depth--;
            if (depth < 0) throw new IllegalArgumentException("--grid: " + key + " has an unmatched ']'");
            if (c == ',' && depth == 0) {
                String v = text.substring(start, Math.min(i, text.length())).strip();
                if (v.startsWith("[") && v.endsWith("]")) v = v.substring(1, v.length() - 1).strip();
                if (v.isEmpty()) throw new IllegalArgumentException("--grid: " + key + " has an empty value");
                if (!out.contains(v)) out.add(v);
                start = i + 1;
            }
        }
        if (depth != 0) throw new IllegalArgumentException("--grid: " + key + " has an unmatched '['");
        return out;
    }

    /** The setting with option --key; an error listing the model's options otherwise. */
    static Settings.Setting<?> setting(ModelKind<?> kind, String key) {
        for (Settings.Setting<?> s : kind.settings().all()) {
            if (s.options().contains("--" + key)) return s;
        }
        List<String> keys = kind.settings().all().stream().filter(s -> !s.options().isEmpty()).map(s -> s.name().substring(2)).toList();
        throw new IllegalArgumentException("--grid: " + kind.name() + " has no setting '" + key + "' (" + String.join(", ", keys) + ")");
    }

    /** A value must parse and be accepted on the model's defaults (--hidden 0 is refused here, not in a trial). */
    private static <C> void check(ModelKind<C> kind, Settings.Setting<?> s, String value) {
        @SuppressWarnings("unchecked") Settings.Setting<C> own = (Settings.Setting<C>) s;
        try {
            kind.settings().with(kind.settings().defaults(), own, value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--grid: " + e.getMessage());
        }
    }

    /** Every combination in order, the first key varying slowest; each as key -> value in the grid's key order. */
    List<Map<String, String>> combinations() {
        List<Map<String, String>> out = new ArrayList<>();
        out.add(new LinkedHashMap<>());
        for (Axis a : axes) {
            List<Map<String, String>> next = new ArrayList<>();
            for (Map<String, String> m : out) {
                for (String v : a.values()) {
                    Map<String, String> c = new LinkedHashMap<>(m);
                    c.put(a.key(), v);
                    next.add(c);
                }
            }
            out = next;
        }
        return out;
    }

    /** n distinct combinations drawn with {@code seed} (all of them, in order, when n is 0 or covers the grid). */
    List<Map<String, String>> trials(int random, long seed) {
        List<Map<String, String>> all = combinations();
        if (random <= 0 || random >= all.size()) return all;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) order.add(i);
        Collections.shuffle(order, new Random(seed));
        List<Integer> pick = new ArrayList<>(order.subList(0, random));
        Collections.sort(pick);                                      // in grid order, for the table
        return pick.stream().map(all::get).toList();
    }

    /**
     * The defaults of these settings with the values (by option name without --) applied in the settings' declaration
     * order, as the command line applies options: a combination's configuration is what {@code train} makes of the
     * same options. A name the settings do not have is ignored (the validation's defaults name other models' options).
     */
    static <C> C apply(Settings<C> settings, Map<String, String> values) {
        C c = settings.defaults();
        for (Settings.Setting<C> s : settings.all()) {
            String v = s.options().isEmpty() ? null : values.get(s.name().substring(2));
            if (v != null) c = settings.with(c, s, v);
        }
        return c;
    }

    /** Whether the model has a --seed setting (every model of the registry has). */
    boolean hasSeed() {
        return kind.settings().all().stream().anyMatch(s -> s.options().contains("--seed"));
    }

    /**
     * A trial's seed where the grid does not set one: a function of the sweep's seed and the trial's values only, so
     * that it is the same wherever, whenever and in whichever sweep order the trial runs (a positive 31-bit number,
     * easy to pass to {@code train --seed}).
     */
    static long seed(long sweepSeed, Map<String, String> values) {
        StringBuilder b = new StringBuilder(Long.toString(sweepSeed));
        values.forEach((k, v) -> b.append('\0').append(k).append('=').append(v));
        byte[] h = sha256(b.toString());
        long x = 0;
        for (int i = 0; i < 8; i++) x = x << 8 | (h[i] & 0xFF);
        long s = x & 0x7FFF_FFFFL;
        return s == 0 ? 1 : s;
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
