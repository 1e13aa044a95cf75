package dev.tessitura.model.mlp;

/**
 * The MLP's arithmetic, in float64 on the host: the input is the window of the w frames before frame t (w n binary
 * values, silence before a tune's start), one layer of h tanh units, and n sigmoid outputs, the notes of frame t
 * independent given the window. All parameters in one array (views W1 (w n, h), b1 (h), W2 (h, n), b2 (n), row-major)
 * and the gradients in one of the same layout. An example's input is given by its active (1) positions only: a frame
 * has a few notes on, so the first layer is a sum of a few rows of W1.
 */
final class Mlp {
    final int window, n, hidden;

    Mlp(int window, int n, int hidden) {
        if (window < 1 || n < 1 || hidden < 1) throw new IllegalArgumentException("mlp: window, notes and hidden must be >= 1");
        this.window = window;
        this.n = n;
        this.hidden = hidden;
    }

    /** Parameters in all: W1, b1, W2, b2. */
    long size() {
        return (long) window * n * hidden + hidden + (long) hidden * n + n;
    }

    int b1() { return window * n * hidden; }

    int w2() { return b1() + hidden; }

    int b2() { return w2() + hidden * n; }

    /** The active inputs of frame t of a roll (frames of n notes, row-major): position (k - 1) n + j for note j on at t - k. */
    int[] active(float[] roll, int t) {
        int count = 0;
        for (int k = 1; k <= window && t - k >= 0; k++) for (int j = 0; j < n; j++) if (roll[(t - k) * n + j] > 0.5f) count++;
        int[] a = new int[count];
        for (int k = 1, i = 0; k <= window && t - k >= 0; k++) for (int j = 0; j < n; j++) if (roll[(t - k) * n + j] > 0.5f) a[i++] = (k - 1) * n + j;
        return a;
    }

    /** Forward for one example: h (hidden) = tanh(b1 + the active rows of W1), z (n) = b2 + h W2 (the logits). */
    void forward(double[] p, int[] active, double[] h, double[] z) {
        int b1 = b1(), w2 = w2(), b2 = b2();
        System.arraycopy(p, b1, h, 0, hidden);
        for (int i : active) {
            int row = i * hidden;
            for (int k = 0; k < hidden; k++) h[k] += p[row + k];
        }
        for (int k = 0; k < hidden; k++) h[k] = Math.tanh(h[k]);
        System.arraycopy(p, b2, z, 0, n);
        for (int k = 0; k < hidden; k++) {
            double hk = h[k];
            int row = w2 + k * n;
            for (int j = 0; j < n; j++) z[j] += hk * p[row + j];
        }
    }

    /**
     * The cross-entropy of the examples (their active inputs, and their targets: n values each from yOff[e] of y),
     * summed, and its gradient times {@code scale} ACCUMULATED into g (g += scale d cost / d p): dz = sigmoid(z) - y;
     * dW2 += h^T dz; dh = dz W2^T; da = dh (1 - h^2); dW1 (active rows) += da; db1 += da; db2 += dz.
     */
    double costAndGradient(double[] p, double[] g, int[][] active, float[] y, int[] yOff, double scale) {
        int w2 = w2(), b1 = b1(), b2 = b2();
        double[] h = new double[hidden], z = new double[n], dh = new double[hidden];
        double cost = 0;
        for (int e = 0; e < active.length; e++) {
            forward(p, active[e], h, z);
            java.util.Arrays.fill(dh, 0);
            for (int j = 0; j < n; j++) {
                double x = z[j], t = y[yOff[e] + j];
                cost += Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))) - t * x;
                z[j] = scale * (1 / (1 + Math.exp(-x)) - t);              // z now holds dz
                g[b2 + j] += z[j];
            }
            for (int k = 0; k < hidden; k++) {
                double hk = h[k], s = 0;
                int row = w2 + k * n;
                for (int j = 0; j < n; j++) {
                    g[row + j] += hk * z[j];
                    s += p[row + j] * z[j];
                }
                dh[k] = s * (1 - hk * hk);
            }
            for (int k = 0; k < hidden; k++) g[b1 + k] += dh[k];
            for (int i : active[e]) {
                int row = i * hidden;
                for (int k = 0; k < hidden; k++) g[row + k] += dh[k];
            }
        }
        return cost;
    }
}
