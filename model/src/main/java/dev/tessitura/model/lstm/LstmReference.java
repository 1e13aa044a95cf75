package dev.tessitura.model.lstm;

import dev.tessitura.engine.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A stack of LSTM layers with a sigmoid read-out, in plain float64 Java: the oracle that the engine LSTM is tested
 * against, and itself tested against PyTorch (../shared/reference/lstm_2layer_small.json) and finite differences.
 *
 * <p>Row-vector form, gates in the order (i, f, g, o) along the columns of one (n_in, 4H) block:
 * <pre>
 *   z_t = x_t Wx + h_{t-1} Wh + b                    (4H)   b = PyTorch's bias_ih + bias_hh
 *   i = sigmoid(z_i), f = sigmoid(z_f), g = tanh(z_g), o = sigmoid(z_o)
 *   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t),  h_0 = c_0 = 0
 *   y^_t = h_t^top Wy + by;  loss = sum_{b,t,j} [softplus(y^) - y y^] / (B T)   (cross-entropy with logits)
 * </pre>
 * Wx = weight_ih^T, Wh = weight_hh^T, Wy = out.weight^T in PyTorch's terms.
 *
 * <p>With {@code skip} (Graves 2013, sec. 2; an option of Ip's RNN4Music) the input also feeds every layer above
 * the first and every layer also feeds the read-out:
 * <pre>
 *   z_t^l = h_t^{l-1} Wx[l] + x_t Wi[l] + h_{t-1}^l Wh[l] + b[l]   (l >= 1)
 *   y^_t = h_t^top Wy + sum_{l < top} h_t^l Wyl[l] + by
 * </pre>
 * so that every layer is one step from both the data and the loss.
 */
public final class LstmReference {
    public final int nIn, nOut;
    public final int[] hidden;
    /** Per layer l: Wx[l] (in_l, 4H_l), Wh[l] (H_l, 4H_l), b[l] (4H_l), row-major; then Wy (H_top, nOut), by (nOut). */
    public final double[][] wx, wh, b;
    public final double[] wy, by;
    public final boolean skip;
    /** With skip: Wi[l] (nIn, 4H_l) for l >= 1 and Wyl[l] (H_l, nOut) for l < top; empty arrays otherwise. */
    public final double[][] wi, wyl;

    public LstmReference(int nIn, int[] hidden, int nOut) {
        this(nIn, hidden, nOut, false);
    }

    public LstmReference(int nIn, int[] hidden, int nOut, boolean skip) {
        this.nIn = nIn;
        this.hidden = hidden.clone();
        this.nOut = nOut;
        this.skip = skip;
        int layers = hidden.length;
        wx = new double[layers][];
        wh = new double[layers][];
        b = new double[layers][];
        wi = new double[layers][];
        wyl = new double[layers][];
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? nIn : hidden[l - 1], h = hidden[l];
            wx[l] = new double[in * 4 * h];
            wh[l] = new double[h * 4 * h];
            b[l] = new double[4 * h];
            wi[l] = new double[skip && l > 0 ? nIn * 4 * h : 0];
            wyl[l] = new double[skip && l < layers - 1 ? h * nOut : 0];
        }
        wy = new double[hidden[layers - 1] * nOut];
        by = new double[nOut];
    }

    /**
     * Every parameter uniform in [-scale, scale), drawn per layer (Wx, Wh, b, Wi, Wyl) then Wy, by, and rounded to
     * float, so that an engine model given them by {@link #copyInto} holds exactly the reference's values.
     */
    public void randomize(SplittableRandom r, double scale) {
        List<double[]> all = new ArrayList<>();
        for (int l = 0; l < hidden.length; l++) all.addAll(List.of(wx[l], wh[l], b[l], wi[l], wyl[l]));
        all.addAll(List.of(wy, by));
        for (double[] a : all) for (int i = 0; i < a.length; i++) a[i] = (float) r.nextDouble(-scale, scale);
    }

    /** These parameters into an engine {@link Lstm} of the same sizes and skip setting. */
    public void copyInto(Backend be, Lstm m) {
        for (int l = 0; l < hidden.length; l++) {
            be.copyFromHost(m.param("Wx" + l), floats(wx[l]), 0);
            be.copyFromHost(m.param("Wh" + l), floats(wh[l]), 0);
            be.copyFromHost(m.param("b" + l), floats(b[l]), 0);
            if (wi[l].length > 0) be.copyFromHost(m.param("Wi" + l), floats(wi[l]), 0);
            if (wyl[l].length > 0) be.copyFromHost(m.param("Wy" + l), floats(wyl[l]), 0);
        }
        be.copyFromHost(m.param("Wy"), floats(wy), 0);
        be.copyFromHost(m.param("by"), floats(by), 0);
    }

    /** (B, T, n) batch-major, as the reference takes sequences, to (T B, n) time-major floats, as the engine does. */
    public static float[] timeMajor(double[] a, int batch, int steps, int n) {
        float[] f = new float[a.length];
        for (int bi = 0; bi < batch; bi++)
            for (int t = 0; t < steps; t++)
                for (int j = 0; j < n; j++) f[(t * batch + bi) * n + j] = (float) a[(bi * steps + t) * n + j];
        return f;
    }

    private static float[] floats(double[] a) {
        float[] f = new float[a.length];
        for (int i = 0; i < a.length; i++) f[i] = (float) a[i];
        return f;
    }

    /** Gradients, shaped like the parameters of {@code model}. */
    public static final class Grads {
        public final double[][] wx, wh, b, wi, wyl;
        public final double[] wy, by;

        Grads(LstmReference m) {
            int layers = m.hidden.length;
            wx = new double[layers][];
            wh = new double[layers][];
            b = new double[layers][];
            wi = new double[layers][];
            wyl = new double[layers][];
            for (int l = 0; l < layers; l++) {
                wx[l] = new double[m.wx[l].length];
                wh[l] = new double[m.wh[l].length];
                b[l] = new double[m.b[l].length];
                wi[l] = new double[m.wi[l].length];
                wyl[l] = new double[m.wyl[l].length];
            }
            wy = new double[m.wy.length];
            by = new double[m.by.length];
        }
    }

    /** What the forward pass keeps for the backward pass, per layer: inputs, gates after activation, c and h. */
    private final class Tape {
        final int batch, steps;
        final double[][] in;        // [l]: the layer's input, (B*T, in_l)
        final double[][] gates;     // [l][(b*T + t) * 4H]: i, f, g, o after their nonlinearities
        final double[][] c, h;      // [l][(b*T + t) * H]
        final double[] logits;      // (B*T, nOut)

        Tape(int batch, int steps) {
            this.batch = batch;
            this.steps = steps;
            int layers = hidden.length;
            in = new double[layers][];
            gates = new double[layers][];
            c = new double[layers][];
            h = new double[layers][];
            for (int l = 0; l < layers; l++) {
                gates[l] = new double[batch * steps * 4 * hidden[l]];
                c[l] = new double[batch * steps * hidden[l]];
                h[l] = new double[batch * steps * hidden[l]];
            }
            logits = new double[batch * steps * nOut];
        }
    }

    /** logits (B, T, nOut) for inputs x (B, T, nIn), both flattened row-major. */
    public double[] logits(double[] x, int batch, int steps) {
        return forward(x, batch, steps).logits;
    }

    /** The mean cross-entropy loss of predicting y from x, both (B, T, n) flattened. */
    public double loss(double[] x, double[] y, int batch, int steps) {
        return crossEntropy(forward(x, batch, steps).logits, y, batch, steps);
    }

    private static double crossEntropy(double[] logits, double[] y, int batch, int steps) {
        double sum = 0;
        for (int i = 0; i < logits.length; i++) sum += softplus(logits[i]) - y[i] * logits[i];
        return sum / (batch * steps);
    }

    private Tape forward(double[] x, int batch, int steps) {
        Tape tape = new Tape(batch, steps);
        double[] input = x;
        for (int l = 0; l < hidden.length; l++) {
            int in = l == 0 ? nIn : hidden[l - 1], hn = hidden[l], g4 = 4 * hn;
            for (int bi = 0; bi < batch; bi++) {
                for (int t = 0; t < steps; t++) {
                    int row = bi * steps + t, prev = t == 0 ? -1 : row - 1;
                    double[] z = b[l].clone();                                      // z = b + x_t Wx + h_{t-1} Wh
                    for (int p = 0; p < in; p++) {
                        double xp = input[row * in + p];
                        if (xp != 0) for (int q = 0; q < g4; q++) z[q] += xp * wx[l][p * g4 + q];
                    }
                    for (int p = 0; p < wi[l].length / g4; p++) {                   // skip: + x_t Wi
                        double xp = x[row * nIn + p];
                        if (xp != 0) for (int q = 0; q < g4; q++) z[q] += xp * wi[l][p * g4 + q];
                    }
                    if (prev >= 0) {
                        for (int p = 0; p < hn; p++) {
                            double hp = tape.h[l][prev * hn + p];
                            for (int q = 0; q < g4; q++) z[q] += hp * wh[l][p * g4 + q];
                        }
                    }
                    for (int j = 0; j < hn; j++) {
                        double i = sigmoid(z[j]), f = sigmoid(z[hn + j]), g = Math.tanh(z[2 * hn + j]), o = sigmoid(z[3 * hn + j]);
                        double cPrev = prev >= 0 ? tape.c[l][prev * hn + j] : 0;
                        double c = f * cPrev + i * g;                                 // c_t = f c_{t-1} + i g
                        tape.c[l][row * hn + j] = c;
                        tape.h[l][row * hn + j] = o * Math.tanh(c);                   // h_t = o tanh(c_t)
                        int gi = row * g4;
                        tape.gates[l][gi + j] = i;
                        tape.gates[l][gi + hn + j] = f;
                        tape.gates[l][gi + 2 * hn + j] = g;
                        tape.gates[l][gi + 3 * hn + j] = o;
                    }
                }
            }
            tape.in[l] = input;
            input = tape.h[l];
        }
        int top = hidden[hidden.length - 1];
        for (int row = 0; row < batch * steps; row++) {
            for (int k = 0; k < nOut; k++) {
                double s = by[k];
                for (int p = 0; p < top; p++) s += input[row * top + p] * wy[p * nOut + k];
                for (int l = 0; l < hidden.length - 1 && skip; l++) {                 // skip: + h^l Wyl
                    for (int p = 0; p < hidden[l]; p++) s += tape.h[l][row * hidden[l] + p] * wyl[l][p * nOut + k];
                }
                tape.logits[row * nOut + k] = s;
            }
        }
        return tape;
    }

    /** The loss and its gradient with respect to every parameter. */
    public record Result(double loss, Grads grads) {}

    /** The loss of predicting y from x, both (B, T, n) flattened, and its gradients (BPTT over the whole sequence). */
    public Result lossAndGrads(double[] x, double[] y, int batch, int steps) {
        Tape tape = forward(x, batch, steps);
        Grads gr = new Grads(this);
        int rows = batch * steps, top = hidden[hidden.length - 1];
        // d loss / d logit = (sigmoid(logit) - y) / (B T)
        double[] dLogits = new double[rows * nOut];
        for (int i = 0; i < dLogits.length; i++) dLogits[i] = (sigmoid(tape.logits[i]) - y[i]) / rows;
        // read-out: dWy = h^T dLogits, dby = column sums, dh_top = dLogits Wy^T
        double[] dh = new double[rows * top];
        double[] hTop = tape.h[hidden.length - 1];
        for (int row = 0; row < rows; row++) {
            for (int k = 0; k < nOut; k++) {
                double d = dLogits[row * nOut + k];
                gr.by[k] += d;
                for (int p = 0; p < top; p++) {
                    gr.wy[p * nOut + k] += hTop[row * top + p] * d;
                    dh[row * top + p] += d * wy[p * nOut + k];
                }
            }
        }
        // skip: the read-out's other terms, dWyl = h^T dLogits, and their share of each lower layer's dh
        double[][] dhOut = new double[hidden.length][];
        for (int l = 0; l < hidden.length - 1 && skip; l++) {
            int hn = hidden[l];
            dhOut[l] = new double[rows * hn];
            for (int row = 0; row < rows; row++) {
                for (int k = 0; k < nOut; k++) {
                    double d = dLogits[row * nOut + k];
                    for (int p = 0; p < hn; p++) {
                        gr.wyl[l][p * nOut + k] += tape.h[l][row * hn + p] * d;
                        dhOut[l][row * hn + p] += d * wyl[l][p * nOut + k];
                    }
                }
            }
        }
        backwardLayers(tape, dh, dhOut, gr);
        return new Result(crossEntropy(tape.logits, y, batch, steps), gr);
    }

    /** The top layer's h (B, T, H_top) for inputs x (B, T, nIn), both flattened row-major. */
    public double[] hiddenTop(double[] x, int batch, int steps) {
        return forward(x, batch, steps).h[hidden.length - 1].clone();
    }

    /** The gradients of the stack (not the read-out) given d loss / d h_top (B, T, H_top) for inputs x (B, T, nIn). */
    public Grads gradsFromTop(double[] x, int batch, int steps, double[] dhTop) {
        Tape tape = forward(x, batch, steps);
        Grads gr = new Grads(this);
        backwardLayers(tape, dhTop.clone(), new double[hidden.length][], gr);
        return gr;
    }

    /** Every layer's h: [l] (B, T, H_l) for inputs x (B, T, nIn), both flattened row-major. */
    public double[][] hiddenAll(double[] x, int batch, int steps) {
        return forward(x, batch, steps).h.clone();
    }

    /** The gradients of the stack (not the read-out) given d loss / d h^l (B, T, H_l) of every layer, dh[l]. */
    public Grads gradsFromLayers(double[] x, int batch, int steps, double[][] dh) {
        Tape tape = forward(x, batch, steps);
        Grads gr = new Grads(this);
        double[][] lower = java.util.Arrays.copyOf(dh, hidden.length);
        lower[hidden.length - 1] = null;                                    // the top's goes in as dh_top
        backwardLayers(tape, dh[hidden.length - 1].clone(), lower, gr);
        return gr;
    }

    /**
     * BPTT through the layers, from d loss / d h_top (B T, H_top) and, with skip, the read-out's direct share of
     * each lower layer's dh (dhOut[l], or null); accumulates into gr.
     */
    private void backwardLayers(Tape tape, double[] dh, double[][] dhOut, Grads gr) {
        int batch = tape.batch, steps = tape.steps, rows = batch * steps;
        // layers from the top: BPTT within the layer, then the gradient of its input goes to the layer below
        for (int l = hidden.length - 1; l >= 0; l--) {
            int in = l == 0 ? nIn : hidden[l - 1], hn = hidden[l], g4 = 4 * hn;
            double[] input = tape.in[l];
            double[] dInput = new double[rows * in];
            if (dhOut[l] != null) for (int i = 0; i < dh.length; i++) dh[i] += dhOut[l][i];
            for (int bi = 0; bi < batch; bi++) {
                double[] dhNext = new double[hn], dcNext = new double[hn];   // from step t+1
                for (int t = steps - 1; t >= 0; t--) {
                    int row = bi * steps + t, prev = t == 0 ? -1 : row - 1;
                    double[] dz = new double[g4];
                    for (int j = 0; j < hn; j++) {
                        int gi = row * g4;
                        double i = tape.gates[l][gi + j], f = tape.gates[l][gi + hn + j];
                        double g = tape.gates[l][gi + 2 * hn + j], o = tape.gates[l][gi + 3 * hn + j];
                        double c = tape.c[l][row * hn + j], tc = Math.tanh(c);
                        double cPrev = prev >= 0 ? tape.c[l][prev * hn + j] : 0;
                        double dhj = dh[row * hn + j] + dhNext[j];
                        double dc = dcNext[j] + dhj * o * (1 - tc * tc);              // through h = o tanh(c)
                        dz[j] = dc * g * i * (1 - i);                                  // i = sigmoid(z_i)
                        dz[hn + j] = dc * cPrev * f * (1 - f);                         // f = sigmoid(z_f)
                        dz[2 * hn + j] = dc * i * (1 - g * g);                         // g = tanh(z_g)
                        dz[3 * hn + j] = dhj * tc * o * (1 - o);                       // o = sigmoid(z_o)
                        dcNext[j] = dc * f;                                            // c_t depends on f c_{t-1}
                    }
                    // z = b + x Wx + h_prev Wh: parameter gradients and the gradients of x and h_prev
                    java.util.Arrays.fill(dhNext, 0);
                    for (int q = 0; q < g4; q++) {
                        double d = dz[q];
                        gr.b[l][q] += d;
                        for (int p = 0; p < in; p++) {
                            gr.wx[l][p * g4 + q] += input[row * in + p] * d;
                            dInput[row * in + p] += d * wx[l][p * g4 + q];
                        }
                        for (int p = 0; p < gr.wi[l].length / g4; p++) gr.wi[l][p * g4 + q] += tape.in[0][row * nIn + p] * d;
                        if (prev >= 0) {
                            for (int p = 0; p < hn; p++) {
                                gr.wh[l][p * g4 + q] += tape.h[l][prev * hn + p] * d;
                                dhNext[p] += d * wh[l][p * g4 + q];
                            }
                        }
                    }
                }
            }
            dh = dInput;
        }
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }

    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }
}
