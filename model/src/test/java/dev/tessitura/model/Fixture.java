package dev.tessitura.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A reference fixture from ../shared/reference (copied into test resources): JSON with "params", "inputs",
 * "outputs" and "grads", each tensor {"shape": [...], "data": [...]}. A small JSON reader is enough for these.
 */
public final class Fixture {
    private final Map<String, Object> root;

    private Fixture(Map<String, Object> root) {
        this.root = root;
    }

    /** Reads a test resource, e.g. "/lstm/lstm_2layer_small.json". */
    @SuppressWarnings("unchecked")
    public static Fixture load(String resource) {
        try (InputStream in = Fixture.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalArgumentException("test resource " + resource + " not found");
            return new Fixture((Map<String, Object>) new Parser(new String(in.readAllBytes(), StandardCharsets.UTF_8)).value());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The data of tensor {@code name} in section {@code section} ("params", "inputs", "outputs", "grads"). */
    public double[] tensor(String section, String name) {
        Object v = section(section).get(name);
        if (v instanceof Double d) return new double[] {d};
        List<?> data = (List<?>) ((Map<?, ?>) v).get("data");
        double[] a = new double[data.size()];
        for (int i = 0; i < a.length; i++) a[i] = (Double) data.get(i);
        return a;
    }

    public double scalar(String section, String name) {
        return (Double) section(section).get(name);
    }

    public int config(String name) {
        return ((Double) section("config").get(name)).intValue();
    }

    private Map<?, ?> section(String name) {
        Object s = root.get(name);
        if (!(s instanceof Map<?, ?> m)) throw new IllegalArgumentException("fixture has no section " + name);
        return m;
    }

    /** ||got - want|| / ||want||, the norm-wise relative error every model test compares with. */
    public static double relErr(double[] got, double[] want) {
        double num = 0, den = 0;
        for (int i = 0; i < want.length; i++) {
            num += (got[i] - want[i]) * (got[i] - want[i]);
            den += want[i] * want[i];
        }
        return Math.sqrt(num / den);
    }

    public static double relErr(float[] got, double[] want) {
        return relErr(widen(got), want);
    }

    public static double relErr(float[] got, float[] want) {
        return relErr(widen(got), widen(want));
    }

    private static double[] widen(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    /** Recursive descent over the JSON grammar; numbers become Double. */
    private static final class Parser {
        private final String s;
        private int i;

        Parser(String s) {
            this.s = s;
        }

        Object value() {
            skip();
            char c = s.charAt(i);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                i++;
                skip();
                if (s.charAt(i) == '}') { i++; return m; }
                while (true) {
                    skip();
                    String key = (String) value();
                    skip();
                    expect(':');
                    m.put(key, value());
                    skip();
                    if (s.charAt(i++) == '}') return m;
                }
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                i++;
                skip();
                if (s.charAt(i) == ']') { i++; return l; }
                while (true) {
                    l.add(value());
                    skip();
                    if (s.charAt(i++) == ']') return l;
                }
            }
            if (c == '"') {
                int end = s.indexOf('"', i + 1);
                String str = s.substring(i + 1, end);
                i = end + 1;
                return str;
            }
            int start = i;
            while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0 || s.startsWith("NaN", i) || s.startsWith("Infinity", i)) {
                if (s.startsWith("NaN", i)) { i += 3; break; }
                if (s.startsWith("Infinity", i)) { i += 8; break; }
                i++;
            }
            if (start == i) throw new IllegalArgumentException("bad JSON at offset " + i);
            return Double.parseDouble(s.substring(start, i));
        }

        private void expect(char c) {
            if (s.charAt(i++) != c) throw new IllegalArgumentException("expected '" + c + "' at offset " + (i - 1));
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }
    }
}
