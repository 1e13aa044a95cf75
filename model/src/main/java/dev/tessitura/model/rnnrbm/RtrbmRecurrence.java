package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import java.util.List;

/**
 * The RTRBM's recurrence (Sutskever, Hinton and Taylor 2008): the state is the RBM's own mean hidden activation given
 * its frame, u(t) = sigmoid(v(t) W + bh + u(t-1) Wuh) = E[h(t) | v(t)] under step t's biases, u(0) = 0, nu = nh. It has
 * no parameters of its own: W, bh and Wuh are the RBM part's, and its backward pass adds to their gradients.
 */
final class RtrbmRecurrence implements Recurrence {
    private final Backend be;
    private final int nh;
    private final Tensor W, bh, Wuh, gW, gBh, gWuh;
    private Tensor dA;            // (T B, nh): d cost / d (pre-activation of u(t))
    private final Tensor a1;      // (1, nh): generation's pre-activation

    RtrbmRecurrence(Backend be, Tensor W, Tensor bh, Tensor Wuh, Tensor gW, Tensor gBh, Tensor gWuh) {
        this.be = be;
        this.nh = bh.cols();
        this.W = W;
        this.bh = bh;
        this.Wuh = Wuh;
        this.gW = gW;
        this.gBh = gBh;
        this.gWuh = gWuh;
        a1 = be.zeros(1, nh);
    }

    @Override public List<String> names() { return List.of(); }

    @Override public Tensor param(String name) { throw new IllegalArgumentException("rtrbm: no recurrence parameter " + name); }

    @Override public Tensor grad(String name) { return param(name); }

    @Override public void initTutorial() {}

    @Override public void forward(Tensor v, Tensor u, int steps, int batch) {
        be.fill(u.slice(0, batch), 0f);
        // a(t) = v(t) W + bh for all t at once, then u(t) = sigmoid(a(t) + u(t-1) Wuh) step by step
        Tensor next = u.slice(batch, (steps + 1) * batch);
        be.gemm(next, v, false, W, false, 1f, 0f);
        be.addRowVector(next, next, bh);
        for (int t = 1; t <= steps; t++) {
            Tensor ut = u.slice(t * batch, (t + 1) * batch);
            be.gemm(ut, u.slice((t - 1) * batch, t * batch), false, Wuh, false, 1f, 1f);
            be.sigmoid(ut, ut);
        }
    }

    @Override public void backward(Tensor v, Tensor u, Tensor du, int steps, int batch) {
        int rows = steps * batch;
        if (dA == null || dA.dim(0) < rows) dA = be.zeros(rows, nh);
        Tensor da = dA.slice(0, rows);
        // backwards in time: da(t) = du(t) u(t) (1 - u(t)); du(t-1) += da(t) Wuh^T
        for (int t = steps; t >= 1; t--) {
            Tensor ut = u.slice(t * batch, (t + 1) * batch), dat = da.slice((t - 1) * batch, t * batch);
            be.sigmoidBackward(dat, du.slice(t * batch, (t + 1) * batch), ut);
            be.gemm(du.slice((t - 1) * batch, t * batch), dat, false, Wuh, true, 1f, 1f);
        }
        be.gemm(gWuh, u.slice(0, rows), true, da, false, 1f, 1f);       // dWuh += u(t-1)^T da(t)
        be.gemm(gW, v, true, da, false, 1f, 1f);                        // dW += v(t)^T da(t)
        be.columnSums(gBh, da, 1f, 1f);                                 // dbh += sum_t da(t)
    }

    @Override public void start(Tensor u) {
        be.fill(u, 0f);
    }

    @Override public void step(Tensor v, Tensor uPrev, Tensor uOut) {
        be.gemm(a1, v, false, W, false, 1f, 0f);
        be.addRowVector(a1, a1, bh);
        be.gemm(a1, uPrev, false, Wuh, false, 1f, 1f);
        be.sigmoid(uOut, a1);
    }
}
