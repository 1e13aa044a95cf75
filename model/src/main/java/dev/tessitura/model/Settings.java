package dev.tessitura.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * The settings of a configuration record C, each declared once: its key in a checkpoint's header, its command-line
 * option, its help, how to read it from a C and how to make a C with another value (the record's {@code with...}).
 * The same declaration is the command line's option (the CLI builds its parser and its help from it, the defaults
 * from {@link #defaults()}), the checkpoint header's codec ({@link #encode}, {@link #decode}), and what a resumed run
 * compares ({@link #differences}).
 *
 * @param <C> the configuration record
 */
public final class Settings<C> {
    /** How a value is written: in a header, and on the command line (where it is also parsed). */
    public enum Type { INT, LONG, FLOAT, DOUBLE, FLAG, INTS, FLOATS, WORD }

    /**
     * One setting. {@code key} null: not part of a checkpoint (a setting of the run, or a shorthand such as --lr that
     * sets two others); {@code options} empty: not on the command line. {@code optional}: a key that older checkpoints
     * lack (the default then holds). {@code words}: a WORD's enum class.
     */
    public record Setting<C>(String key, List<String> options, String label, String help, Type type, Class<? extends Enum<?>> words,
                             boolean optional, Function<C, Object> get, BiFunction<C, Object, C> with) {
        /** The first option name ("--hidden"), or the key where there is none. */
        public String name() {
            return options.isEmpty() ? key : options.get(0);
        }

        /** The value's text in a header. */
        public String write(Object v) {
            return switch (type) {
                case INTS -> Arrays.stream((int[]) v).mapToObj(Integer::toString).reduce((a, b) -> a + "," + b).orElse("");
                case FLOATS -> {
                    StringBuilder b = new StringBuilder();
                    for (float x : (float[]) v) b.append(b.isEmpty() ? "" : ",").append(x);
                    yield b.toString();
                }
                case WORD -> ((Enum<?>) v).name();
                default -> v.toString();
            };
        }

        /** The value's text on the command line (the default shown in the help). */
        public String show(Object v) {
            return type == Type.WORD ? ((Enum<?>) v).name().toLowerCase(Locale.ROOT).replace('_', '-') : write(v);
        }

        /**
         * Parses a value written by {@link #write} or typed on the command line. A number must be finite (NaN and
         * infinities are never a setting); a word is matched without regard to case. Throws IllegalArgumentException
         * naming the setting, what it got and what it wants.
         */
        public Object parse(String s) {
            String t = s.strip();
            try {
                return switch (type) {
                    case INT -> Integer.parseInt(t);
                    case LONG -> Long.parseLong(t);
                    case FLOAT -> (float) finite(Float.parseFloat(t), s);
                    case DOUBLE -> finite(Double.parseDouble(t), s);
                    case FLAG -> switch (t.toLowerCase(Locale.ROOT)) {
                        case "true" -> true;
                        case "false" -> false;
                        default -> throw new IllegalArgumentException(name() + " wants true or false, got '" + s + "'");
                    };
                    case INTS -> {
                        String[] p = t.split(",", -1);
                        int[] a = new int[p.length];
                        for (int i = 0; i < p.length; i++) a[i] = Integer.parseInt(p[i].strip());
                        yield a;
                    }
                    case FLOATS -> {
                        String[] p = t.split(",", -1);
                        float[] a = new float[p.length];
                        for (int i = 0; i < p.length; i++) a[i] = (float) finite(Float.parseFloat(p[i].strip()), s);
                        yield a;
                    }
                    case WORD -> word(t);
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name() + " wants " + wants() + ", got '" + s + "'");
            }
        }

        private double finite(double x, String s) {
            if (!Double.isFinite(x)) throw new IllegalArgumentException(name() + " wants a finite number, got '" + s + "'");
            return x;
        }

        private Object word(String t) {
            for (Enum<?> e : words.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(t.replace('-', '_'))) return e;
            }
            throw new IllegalArgumentException(name() + " wants " + wants() + ", got '" + t + "'");
        }

        /** What a value looks like, for messages: "an integer", "one of sgd, nesterov, ...". */
        public String wants() {
            return switch (type) {
                case INT, LONG -> "an integer";
                case FLOAT, DOUBLE -> "a number";
                case FLAG -> "no value";
                case INTS -> "integers separated by commas, like 120,120,120";
                case FLOATS -> "numbers separated by commas, like 0.1,0.05";
                case WORD -> "one of " + String.join(", ", Arrays.stream(words.getEnumConstants()).map(this::show).toList());
            };
        }
    }

    private final C defaults;
    private final List<Setting<C>> list;

    private Settings(C defaults, List<Setting<C>> list) {
        this.defaults = defaults;
        this.list = List.copyOf(list);
    }

    /** Starts a declaration from the record's defaults. */
    public static <C> Builder<C> of(C defaults) {
        return new Builder<>(defaults);
    }

    public C defaults() { return defaults; }

    /** Every setting in declaration order, which is also the order in which command-line values are applied. */
    public List<Setting<C>> all() { return list; }

    /** c with setting s set to the value {@code text} (parsed as {@link Setting#parse} does). */
    public C with(C c, Setting<C> s, String text) {
        return s.with().apply(c, s.parse(text));
    }

    /**
     * The defaults with options applied as on the command line ("--hidden", "8", "--skip"): a flag takes no value,
     * every other option one; the values are applied in declaration order, as the CLI applies them. An option these
     * settings lack, a missing value or a bad one is an error naming it.
     */
    public C parse(List<String> args) {
        java.util.Map<Setting<C>, String> given = new java.util.HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            Setting<C> s = option(a);
            if (s == null) throw new IllegalArgumentException("unknown option '" + a + "'");
            if (s.type() == Type.FLAG) {
                given.put(s, "true");
            } else {
                if (i + 1 == args.size()) throw new IllegalArgumentException(a + " needs a value (" + s.wants() + ")");
                given.put(s, args.get(++i));
            }
        }
        C c = defaults;
        for (Setting<C> s : list) if (given.containsKey(s)) c = with(c, s, given.get(s));
        return c;
    }

    /** The setting whose command-line option is {@code name} ("--hidden"), or null. */
    public Setting<C> option(String name) {
        for (Setting<C> s : list) if (s.options().contains(name)) return s;
        return null;
    }

    /** Writes every setting that has a key into a header's metadata. */
    public void encode(C c, Map<String, String> meta) {
        for (Setting<C> s : list) if (s.key() != null) meta.put(s.key(), s.write(s.get().apply(c)));
    }

    /**
     * The configuration a header holds: the defaults with every keyed setting read from it. A key that is missing
     * (and not optional) or that does not parse is an error naming it.
     */
    public C decode(Map<String, String> meta) {
        C c = defaults;
        for (Setting<C> s : list) {
            if (s.key() == null) continue;
            String v = meta.get(s.key());
            if (v == null) {
                if (s.optional()) continue;
                throw new IllegalArgumentException("the checkpoint's header has no '" + s.key() + "'");
            }
            try {
                c = s.with().apply(c, s.parse(v));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("the checkpoint's header has a bad '" + s.key() + "' (" + v + "): " + e.getMessage());
            }
        }
        return c;
    }

    /** The keyed settings whose values differ between a and b: "--hidden 30 (the checkpoint has 20)". */
    public List<String> differences(C given, C saved) {
        List<String> out = new ArrayList<>();
        for (Setting<C> s : list) {
            if (s.key() == null) continue;
            String g = s.write(s.get().apply(given)), v = s.write(s.get().apply(saved));
            if (!g.equals(v)) out.add(s.name() + " " + s.show(s.get().apply(given)) + " (the checkpoint has " + s.show(s.get().apply(saved)) + ")");
        }
        return out;
    }

    /** Declares settings in order; each method takes the header key (null: none), the options, a label and the help. */
    public static final class Builder<C> {
        private final C defaults;
        private final List<Setting<C>> list = new ArrayList<>();

        private Builder(C defaults) {
            this.defaults = defaults;
        }

        private Builder<C> add(String key, String options, String label, String help, Type type, Class<? extends Enum<?>> words,
                               Function<C, ?> get, BiFunction<C, ?, C> with) {
            @SuppressWarnings("unchecked") BiFunction<C, Object, C> w = (BiFunction<C, Object, C>) with;
            List<String> names = options == null ? List.of() : List.of(options.split("\\|"));
            list.add(new Setting<>(key, names, label, help, type, words, false, get::apply, w));
            return this;
        }

        public Builder<C> integer(String key, String options, String label, String help, Function<C, Integer> get, BiFunction<C, Integer, C> with) {
            return add(key, options, label, help, Type.INT, null, get, with);
        }

        public Builder<C> longInt(String key, String options, String label, String help, Function<C, Long> get, BiFunction<C, Long, C> with) {
            return add(key, options, label, help, Type.LONG, null, get, with);
        }

        public Builder<C> floating(String key, String options, String label, String help, Function<C, Float> get, BiFunction<C, Float, C> with) {
            return add(key, options, label, help, Type.FLOAT, null, get, with);
        }

        public Builder<C> real(String key, String options, String label, String help, Function<C, Double> get, BiFunction<C, Double, C> with) {
            return add(key, options, label, help, Type.DOUBLE, null, get, with);
        }

        public Builder<C> flag(String key, String options, String help, Function<C, Boolean> get, BiFunction<C, Boolean, C> with) {
            return add(key, options, null, help, Type.FLAG, null, get, with);
        }

        public Builder<C> integers(String key, String options, String label, String help, Function<C, int[]> get, BiFunction<C, int[], C> with) {
            return add(key, options, label, help, Type.INTS, null, get, with);
        }

        public Builder<C> floats(String key, String options, String label, String help, Function<C, float[]> get, BiFunction<C, float[], C> with) {
            return add(key, options, label, help, Type.FLOATS, null, get, with);
        }

        public <E extends Enum<E>> Builder<C> word(String key, String options, String label, String help, Class<E> words,
                                                 Function<C, E> get, BiFunction<C, E, C> with) {
            return add(key, options, label, help, Type.WORD, words, get, with);
        }

        /** The last setting's key may be missing from older checkpoints: the default holds there. */
        public Builder<C> optional() {
            Setting<C> s = list.remove(list.size() - 1);
            list.add(new Setting<>(s.key(), s.options(), s.label(), s.help(), s.type(), s.words(), true, s.get(), s.with()));
            return this;
        }

        public Settings<C> build() {
            return new Settings<>(defaults, list);
        }
    }
}
