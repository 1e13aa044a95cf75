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

    public static Position fromMetadata(java.util.Map<String, String> m) {
        return new Position(Integer.parseInt(m.get("epoch")), Integer.parseInt(m.get("index")),
                Double.parseDouble(m.get("cost_sum")), Long.parseLong(m.get("cost_frames")));
    }
}
