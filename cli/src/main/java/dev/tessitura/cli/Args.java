package dev.tessitura.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Command-line arguments of one sub-command: positionals, {@code --name value} options and {@code --flag}s.
 * Every option a command reads must be declared when parsing, so a misspelt option is an error, not ignored.
 */
final class Args {
    private final List<String> positionals = new ArrayList<>();
    private final Map<String, String> options = new LinkedHashMap<>();

    /**
     * @param valued options that take a value ("--out x" or "--out=x")
     * @param flags  options that take none
     */
    static Args parse(String[] argv, Set<String> valued, Set<String> flags) {
        Args a = new Args();
        for (int i = 0; i < argv.length; i++) {
            String s = argv[i];
            if (!s.startsWith("--") || s.equals("--")) {
                a.positionals.add(s);
                continue;
            }
            String name = s.substring(2), value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (flags.contains(name)) {
                if (value != null) throw new IllegalArgumentException("--" + name + " takes no value");
                a.options.put(name, "true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= argv.length) throw new IllegalArgumentException("--" + name + " needs a value");
                    value = argv[++i];
                }
                a.options.put(name, value);
            } else {
                throw new IllegalArgumentException("unknown option --" + name);
            }
        }
        return a;
    }

    List<String> positionals() { return positionals; }

    String positional(int i, String what) {
        if (i >= positionals.size()) throw new IllegalArgumentException("missing " + what);
        return positionals.get(i);
    }

    void maxPositionals(int n) {
        if (positionals.size() > n) throw new IllegalArgumentException("unexpected argument '" + positionals.get(n) + "'");
    }

    boolean flag(String name) { return options.containsKey(name); }

    String string(String name, String dflt) { return options.getOrDefault(name, dflt); }

    Path path(String name) {
        String v = options.get(name);
        return v == null ? null : Path.of(v);
    }

    int integer(String name, int dflt) {
        String v = options.get(name);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " wants an integer, got '" + v + "'");
        }
    }

    double number(String name, double dflt) {
        String v = options.get(name);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + name + " wants a number, got '" + v + "'");
        }
    }
}
