package dev.tessitura.model.reproduce;

import dev.tessitura.model.ModelKind;
import dev.tessitura.model.Models;
import java.util.ArrayList;
import java.util.List;

/**
 * One combination of a row's alternatives under a budget: the model's train options, the epochs, which checkpoint is
 * evaluated; its name (c1, c2, ... in the order the combinations come, the first option's alternatives slowest) and
 * a label with the chosen alternatives ("--context 13").
 */
record Candidate(String name, List<String> options, int epochs, boolean last, String label) {
    /** Every candidate of a row under a budget. */
    static List<Candidate> of(Recipes.Row row, String budget) {
        List<List<String>> groups = groups(row.options(budget));
        List<Candidate> out = new ArrayList<>();
        expand(groups, 0, new ArrayList<>(), new ArrayList<>(), row, out);
        return out;
    }

    private static void expand(List<List<String>> groups, int i, List<String> chosen, List<String> label, Recipes.Row row, List<Candidate> out) {
        if (i == groups.size()) {
            out.add(make("c" + (out.size() + 1), chosen, String.join(" ", label), row));
            return;
        }
        List<String> g = groups.get(i);
        String[] alternatives = g.size() == 2 ? g.get(1).split("\\|", -1) : new String[] {null};
        for (String a : alternatives) {
            List<String> c = new ArrayList<>(chosen), l = new ArrayList<>(label);
            c.add(g.get(0));
            if (a != null) c.add(a);
            if (alternatives.length > 1) l.addAll(List.of(g.get(0), a));
            expand(groups, i + 1, c, l, row, out);
        }
    }

    /** Takes --epochs and --use out of the options. */
    private static Candidate make(String name, List<String> options, String label, Recipes.Row row) {
        List<String> model = new ArrayList<>();
        int epochs = 1;
        boolean last = false;
        for (List<String> g : groups(options)) {
            switch (g.get(0)) {
                case "--epochs" -> epochs = Integer.parseInt(value(g, row));
                case "--use" -> last = switch (value(g, row)) {
                    case "last" -> true;
                    case "best" -> false;
                    default -> throw new IllegalStateException("recipe " + row.id() + ": --use best or last, got " + g.get(1));
                };
                default -> model.addAll(g);
            }
        }
        if (epochs < 1) throw new IllegalStateException("recipe " + row.id() + ": --epochs must be >= 1");
        return new Candidate(name, List.copyOf(model), epochs, last, label);
    }

    private static String value(List<String> g, Recipes.Row row) {
        if (g.size() != 2) throw new IllegalStateException("recipe " + row.id() + ": " + g.get(0) + " needs a value");
        return g.get(1);
    }

    /** Options as groups: an option ("--x") alone, or with its value (the next token when it is not an option). */
    static List<List<String>> groups(List<String> tokens) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            if (!t.startsWith("--")) throw new IllegalStateException("expected an option, got '" + t + "' in " + String.join(" ", tokens));
            boolean value = i + 1 < tokens.size() && !tokens.get(i + 1).startsWith("--");
            out.add(value ? List.of(t, tokens.get(++i)) : List.of(t));
        }
        return out;
    }

    /** The recipe's options must be the model's own (train and evaluate), with values it takes. */
    void check(Recipes.Row row, List<String> eval) {
        ModelKind<?> kind = Models.byName(row.model());
        try {
            kind.settings().parse(options);
            kind.evaluating().settings().parse(eval);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("recipe " + row.id() + " (" + row.model() + "): " + e.getMessage(), e);
        }
    }
}
