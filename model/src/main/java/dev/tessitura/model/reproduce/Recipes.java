package dev.tessitura.model.reproduce;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recipes of {@code tessitura reproduce}, read from one versioned resource (recipes.txt beside this class): how
 * each row of the paper's Table 1 is trained and searched under each budget, what each budget's evaluation is, and
 * the paper's figures for the data sets it used, recognised by their SHA-256. The file's own comments describe its
 * lines; a line it cannot read is an error naming it.
 */
public record Recipes(int version, List<Row> rows, Map<String, Budget> budgets, List<PaperData> paper) {
    public static final List<String> BUDGETS = List.of("smoke", "default", "paper");
    private static final String RESOURCE = "recipes.txt";

    /**
     * One row: its id (the --rows word), the model it trains, the paper's name for it, and per budget its options:
     * the model's train options with alternatives ({@code a|b}), plus --epochs and --use; {@code eval} adds
     * evaluation options of its own.
     */
    public record Row(String id, String model, String label, Map<String, List<String>> options, List<String> eval) {
        /** This row's options under a budget: "all", then the budget's own (paper falls back to default). */
        public List<String> options(String budget) {
            List<String> out = new ArrayList<>(options.getOrDefault("all", List.of()));
            List<String> own = options.get(budget);
            if (own == null && budget.equals("paper")) own = options.get("default");
            if (own != null) out.addAll(own);
            return out;
        }
    }

    /**
     * A budget: the evaluation options every row gets (a row's model takes those it knows), every N-th validation
     * sequence for the search, and the test frames on which the AIS of RBM-based rows is compared with the paper's
     * protocol (0: no comparison).
     */
    public record Budget(String name, List<String> eval, int validEvery, int checkFrames) {}

    /** A data set of the paper: its name, the SHA-256s it is known by, and the paper's figures by row id (NaN: not given). */
    public record PaperData(String id, String name, List<String> sha256, Map<String, double[]> figures) {}

    /** The recipes this build ships. */
    public static Recipes load() {
        try (InputStream in = Recipes.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("the recipes resource " + RESOURCE + " is missing from this build");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the recipes: " + e.getMessage(), e);
        }
    }

    /** Parses the recipes' text: "key = value" lines in order, # comments, blank lines. */
    public static Recipes parse(String text) {
        int version = -1;
        List<Row> rows = new ArrayList<>();
        Map<String, Budget> budgets = new LinkedHashMap<>();
        Map<String, String[]> datasets = new LinkedHashMap<>();
        Map<String, Map<String, double[]>> figures = new LinkedHashMap<>();
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String where = RESOURCE + " line " + (n + 1);
            int eq = line.indexOf('=');
            if (eq < 0) throw new IllegalStateException(where + ": expected 'key = value'");
            String key = line.substring(0, eq).strip(), value = line.substring(eq + 1).strip();
            String[] k = key.split("\\.");
            try {
                switch (k[0]) {
                    case "version" -> version = Integer.parseInt(value);
                    case "row" -> rows.add(row(one(k), value));
                    case "budget" -> budgets.put(one(k), budget(one(k), value));
                    case "dataset" -> datasets.put(one(k), fields(value, 2, 2));
                    case "paper" -> {
                        if (k.length != 3) throw new IllegalArgumentException("expected paper.<data set>.<row>");
                        figures.computeIfAbsent(k[1], d -> new LinkedHashMap<>()).put(k[2], numbers(value));
                    }
                    default -> throw new IllegalArgumentException("unknown key '" + key + "'");
                }
            } catch (RuntimeException e) {
                throw new IllegalStateException(where + ": " + e.getMessage(), e);
            }
        }
        if (version < 1) throw new IllegalStateException(RESOURCE + ": no 'version = N' line");
        for (String b : BUDGETS) if (!budgets.containsKey(b)) throw new IllegalStateException(RESOURCE + ": no budget." + b);
        List<PaperData> paper = new ArrayList<>();
        datasets.forEach((id, f) -> {
            List<String> sha = Arrays.stream(f[1].split(",")).map(String::strip).filter(x -> !x.isEmpty()).toList();
            paper.add(new PaperData(id, f[0], sha, figures.getOrDefault(id, Map.of())));
        });
        for (String d : figures.keySet()) if (!datasets.containsKey(d)) throw new IllegalStateException(RESOURCE + ": figures of an unknown data set " + d);
        return new Recipes(version, List.copyOf(rows), Map.copyOf(budgets), List.copyOf(paper));
    }

    /** The row called {@code id}, or an error listing them. */
    public Row row(String id) {
        return rows.stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                "unknown row '" + id + "' (" + String.join(", ", rows.stream().map(Row::id).toList()) + ")"));
    }

    /** The paper's data set with this SHA-256, or null. */
    public PaperData recognise(String sha256) {
        return paper.stream().filter(p -> p.sha256().contains(sha256)).findFirst().orElse(null);
    }

    private static String one(String[] k) {
        if (k.length != 2 || k[1].isEmpty()) throw new IllegalArgumentException("expected " + k[0] + ".<name>");
        return k[1];
    }

    private static Row row(String id, String value) {
        String[] f = fields(value, 2, 3);
        Map<String, List<String>> options = new LinkedHashMap<>();
        List<String> eval = List.of();
        for (String part : f.length < 3 ? new String[0] : f[2].split(";")) {
            if (part.isBlank()) continue;
            int c = part.indexOf(':');
            if (c < 0) throw new IllegalArgumentException("expected '<budget>: <options>', got '" + part.strip() + "'");
            String budget = part.substring(0, c).strip();
            List<String> tokens = tokens(part.substring(c + 1));
            if (budget.equals("eval")) eval = tokens;
            else if (budget.equals("all") || BUDGETS.contains(budget)) options.put(budget, tokens);
            else throw new IllegalArgumentException("unknown budget '" + budget + "' (all, eval, " + String.join(", ", BUDGETS) + ")");
        }
        return new Row(id, f[0], f[1], options, eval);
    }

    private static Budget budget(String name, String value) {
        List<String> eval = List.of();
        int validEvery = 1, checkFrames = 0;
        for (String part : value.split(";")) {
            if (part.isBlank()) continue;
            int c = part.indexOf(':');
            if (c < 0) throw new IllegalArgumentException("expected '<field>: <value>', got '" + part.strip() + "'");
            String field = part.substring(0, c).strip(), v = part.substring(c + 1).strip();
            switch (field) {
                case "eval" -> eval = tokens(v);
                case "valid-every" -> validEvery = Integer.parseInt(v);
                case "check-frames" -> checkFrames = Integer.parseInt(v);
                default -> throw new IllegalArgumentException("unknown budget field '" + field + "' (eval, valid-every, check-frames)");
            }
        }
        if (validEvery < 1 || checkFrames < 0) throw new IllegalArgumentException("valid-every must be >= 1 and check-frames >= 0");
        return new Budget(name, eval, validEvery, checkFrames);
    }

    /** value split at '|' into between min and max stripped fields. */
    private static String[] fields(String value, int min, int max) {
        String[] f = value.split("\\|", max);
        if (f.length < min) throw new IllegalArgumentException("expected at least " + min + " fields separated by '|'");
        for (int i = 0; i < f.length; i++) f[i] = f[i].strip();
        return f;
    }

    /** "LL ACC" with '-' for a figure the paper does not give: {LL, ACC in %}. */
    private static double[] numbers(String value) {
        String[] f = value.strip().split("\\s+");
        if (f.length != 2) throw new IllegalArgumentException("expected '<LL> <ACC %>' ('-' for none), got '" + value + "'");
        double[] out = new double[2];
        for (int i = 0; i < 2; i++) out[i] = f[i].equals("-") ? Double.NaN : Double.parseDouble(f[i]);
        return out;
    }

    private static List<String> tokens(String s) {
        return s.isBlank() ? List.of() : List.of(s.strip().split("\\s+"));
    }
}
