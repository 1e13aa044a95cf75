package dev.tessitura.model.rnnrbm;

/**
 * The RTRBM's cost and gradients in plain float64 Java (Sutskever, Hinton and Taylor 2008, as the RNN-RBM paper
 * casts it): the oracle for {@link RnnRbm} with {@link RtrbmRecurrence}. The RBM part (equations (1), (2), the free
 * energies and the CD cost) is {@link RnnRbmReference}'s own with nu = nh; the state is the RBM's own mean hidden
 * activation given its frame,
 * <pre>
 *   u(0) = 0,   u(t) = sigmoid(v(t) W + bh(t)) = sigmoid(v(t) W + bh + u(t-1) Wuh)
 * </pre>
 * so W, bh and Wuh are both the RBM's and the recurrence's, and their gradients have both parts.
 */
public final class RtrbmReference {
    /** The RBM part, nu = nh; its tanh-recurrence arrays (wvu, wuu, bu, u0) are not used. */
    public final RnnRbmReference rbm;
    private final int nv, nh;

    public RtrbmReference(int nv, int nh) {
        this.nv = nv;
        this.nh = nh;
        rbm = new RnnRbmReference(nv, nh, nh);
    }

    /** The parameters in the engine model's storage order: W, bv, bh, Wuh, Wuv. */
    public double[][] params() {
        return new double[][] {rbm.w, rbm.bv, rbm.bh, rbm.wuh, rbm.wuv};
    }

    /** u(0..T) for a chunk v (T, nv). */
    double[][] states(double[] v, int steps) {
        double[][] u = new double[steps + 1][];
        u[0] = new double[nh];
        for (int t = 0; t < steps; t++) {
            double[] a = rbm.bh.clone();
            for (int m = 0; m < nh; m++) if (u[t][m] != 0) for (int k = 0; k < nh; k++) a[k] += u[t][m] * rbm.wuh[m * nh + k];
            for (int i = 0; i < nv; i++) {
                double x = v[t * nv + i];
                if (x != 0) for (int k = 0; k < nh; k++) a[k] += x * rbm.w[i * nh + k];
            }
            u[t + 1] = new double[nh];
            for (int k = 0; k < nh; k++) u[t + 1][k] = 1 / (1 + Math.exp(-a[k]));
        }
        return u;
    }

    public RnnRbmReference.Forward forward(double[] v, double[] vNeg, int steps) {
        return rbm.rbmForward(v, vNeg, steps, states(v, steps));
    }

    public double cost(double[] v, double[] vNeg, int steps) {
        return forward(v, vNeg, steps).cost();
    }

    /** The gradients (the tanh-recurrence entries zero): the RBM terms, then the recurrence's by BPTT. */
    public RnnRbmReference.Grads grads(double[] v, double[] vNeg, int steps) {
        RnnRbmReference.Forward fw = forward(v, vNeg, steps);
        RnnRbmReference.Grads g = RnnRbmReference.zeroGrads(rbm);
        backward(fw.u(), v, rbm.rbmBackward(fw, v, vNeg, steps, g), steps, g);
        return g;
    }

    /** RNN pretraining's cost with the RTRBM's state: see {@link RnnRbmReference#predictorCost(double[], int)}. */
    public double predictorCost(double[] v, int steps) {
        return rbm.predictorCost(v, steps, states(v, steps));
    }

    public RnnRbmReference.Grads predictorGrads(double[] v, int steps) {
        double[][] u = states(v, steps);
        RnnRbmReference.Grads g = RnnRbmReference.zeroGrads(rbm);
        backward(u, v, rbm.predictorBackward(v, steps, u, g), steps, g);
        return g;
    }

    /** Backwards in time from d cost / d u(t): da(t) = du(t) u(t) (1 - u(t)); dW, dbh, dWuh += ...; du(t-1) += da(t) Wuh^T. */
    private void backward(double[][] u, double[] v, double[][] du, int steps, RnnRbmReference.Grads g) {
        for (int t = steps; t >= 1; t--) {
            double[] da = new double[nh];
            for (int k = 0; k < nh; k++) da[k] = du[t][k] * u[t][k] * (1 - u[t][k]);
            for (int k = 0; k < nh; k++) {
                g.bh()[k] += da[k];
                for (int i = 0; i < nv; i++) g.w()[i * nh + k] += v[(t - 1) * nv + i] * da[k];
                for (int m = 0; m < nh; m++) {
                    g.wuh()[m * nh + k] += u[t - 1][m] * da[k];
                    du[t - 1][m] += da[k] * rbm.wuh[m * nh + k];
                }
            }
        }
    }
}
