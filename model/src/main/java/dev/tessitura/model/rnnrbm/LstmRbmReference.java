package dev.tessitura.model.rnnrbm;

import dev.tessitura.model.lstm.LstmReference;

/**
 * The LSTM-RBM's cost and gradients in plain float64 Java: the oracle for {@link RnnRbm} with an LSTM recurrence.
 * The RBM part (W, bv, bh, Wuh, Wuv, equations (1), (2) and the free-energy cost) is {@link RnnRbmReference}'s own;
 * u(0) = 0 and u(t) = the top h of {@link LstmReference}'s stack (no read-out) after reading v(1..t).
 */
public final class LstmRbmReference {
    /** The RBM part; its tanh-recurrence arrays (wvu, wuu, bu, u0) are not used. */
    public final RnnRbmReference rbm;
    /** The stack, nOut = 0. */
    public final LstmReference lstm;
    public final int nv;

    public LstmRbmReference(int nv, int nh, int[] layers) {
        this.nv = nv;
        rbm = new RnnRbmReference(nv, nh, layers[layers.length - 1]);
        lstm = new LstmReference(nv, layers, 0);
    }

    /** Gradients: the RBM part (in an RnnRbmReference.Grads, recurrence entries zero) and the LSTM's. */
    public record Grads(RnnRbmReference.Grads rbm, LstmReference.Grads lstm) {}

    private double[][] states(double[] v, int steps) {
        int nu = rbm.nu;
        double[] h = lstm.hiddenTop(v, 1, steps);
        double[][] u = new double[steps + 1][];
        u[0] = new double[nu];
        for (int t = 1; t <= steps; t++) u[t] = java.util.Arrays.copyOfRange(h, (t - 1) * nu, t * nu);
        return u;
    }

    public RnnRbmReference.Forward forward(double[] v, double[] vNeg, int steps) {
        return rbm.rbmForward(v, vNeg, steps, states(v, steps));
    }

    public double cost(double[] v, double[] vNeg, int steps) {
        return forward(v, vNeg, steps).cost();
    }

    public Grads grads(double[] v, double[] vNeg, int steps) {
        RnnRbmReference.Forward fw = forward(v, vNeg, steps);
        RnnRbmReference.Grads g = RnnRbmReference.zeroGrads(rbm);
        return new Grads(g, lstmGrads(v, steps, rbm.rbmBackward(fw, v, vNeg, steps, g)));
    }

    /** RNN pretraining's cost with the LSTM as the RNN: see {@link RnnRbmReference#predictorCost(double[], int)}. */
    public double predictorCost(double[] v, int steps) {
        return rbm.predictorCost(v, steps, states(v, steps));
    }

    public Grads predictorGrads(double[] v, int steps) {
        RnnRbmReference.Grads g = RnnRbmReference.zeroGrads(rbm);
        return new Grads(g, lstmGrads(v, steps, rbm.predictorBackward(v, steps, states(v, steps), g)));
    }

    /** The LSTM's gradients from d cost / d u(t), t = 0..T (u(0) = 0 is no parameter, so row 0 is dropped). */
    private LstmReference.Grads lstmGrads(double[] v, int steps, double[][] du) {
        int nu = rbm.nu;
        double[] dhTop = new double[steps * nu];                         // d cost / d h_top(t) = d cost / d u(t)
        for (int t = 1; t <= steps; t++) System.arraycopy(du[t], 0, dhTop, (t - 1) * nu, nu);
        return lstm.gradsFromTop(v, 1, steps, dhTop);
    }
}
