package dev.tessitura.model;

/**
 * Where training stands: the epoch, the next update within it (a minibatch or a chunk, in the epoch's fixed order),
 * and the cost summed over the epoch's earlier updates with the frames it was summed over. A checkpoint stores it,
 * so that a resumed run continues exactly where it stopped.
 */
public record Position(int epoch, int index, double costSum, long frames) {
    public static Position start(int epoch) {
        return new Position(epoch, 0, 0, 0);
    }

    /** The mean cost per frame so far in this epoch. */
    public double meanCost() {
        return costSum / Math.max(frames, 1);
    }

    /** Metadata entries for a checkpoint header. */
    public java.util.Map<String, String> toMetadata() {
        return java.util.Map.of("epoch", Integer.toString(epoch), "index", Integer.toString(index),
                "cost_sum", Double.toString(costSum), "cost_frames", Long.toString(frames));
    }

    /** The position a checkpoint's header holds; a missing or malformed entry is an error naming it. */
    public static Position fromMetadata(java.util.Map<String, String> m) {
        double costSum = Double.parseDouble(text(m, "cost_sum", "-?[0-9.]+([eE][-+]?[0-9]+)?"));
        return new Position(Integer.parseInt(text(m, "epoch", "[0-9]{1,9}")), Integer.parseInt(text(m, "index", "[0-9]{1,9}")),
                costSum, Long.parseLong(text(m, "cost_frames", "[0-9]{1,18}")));
    }

    private static String text(java.util.Map<String, String> m, String key, String pattern) {
        String v = m.get(key);
        if (v == null) throw new IllegalArgumentException("the checkpoint's header has no '" + key + "'");
        if (!v.strip().matches(pattern)) throw new IllegalArgumentException("the checkpoint's header has a bad '" + key + "' (" + v + ")");
        return v.strip();
    }
}
