package dev.tessitura.model.rnnrbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import java.util.List;

/** The paper's recurrence (3): u(t) = tanh(bu + v(t) Wvu + u(t-1) Wuu), u(0) = u0 (zero unless learned). */
public final class TanhRecurrence implements Recurrence {
    private final Backend be;
    private final int nu;
    final Tensor Wvu, Wuu, bu, u0;
    private final Tensor gWvu, gWuu, gBu, gU0;
    private Tensor dA;            // (T B, nu): d cost / d (pre-activation of u(t))
    private final Tensor a1;      // (1, nu): generation's pre-activation
    /** Whether u(0) is learned; when it is not, its gradient is 0 and it stays at its initial 0. */
    boolean learnU0 = true;

    /** Sets whether u(0) is learned (see {@link #learnU0}). */
    public void learnU0(boolean learn) {
        learnU0 = learn;
    }

    /** Its parameter count: Wvu, Wuu, bu, u0. */
    public static long size(int nv, int nu) {
        return (long) nv * nu + (long) nu * nu + 2L * nu;
    }

    /** Over views params and grads of {@link #size} elements. */
    public TanhRecurrence(Backend be, int nv, int nu, Tensor params, Tensor grads) {
        this.be = be;
        this.nu = nu;
        long at = 0;
        Wvu = params.view(at, nv, nu); gWvu = grads.view(at, nv, nu); at += (long) nv * nu;
        Wuu = params.view(at, nu, nu); gWuu = grads.view(at, nu, nu); at += (long) nu * nu;
        bu = params.view(at, nu); gBu = grads.view(at, nu); at += nu;
        u0 = params.view(at, nu); gU0 = grads.view(at, nu);
        a1 = be.zeros(1, nu);
    }

    @Override public List<String> names() { return List.of("Wvu", "Wuu", "bu", "u0"); }

    @Override public Tensor param(String name) { return pick(name, Wvu, Wuu, bu, u0); }

    @Override public Tensor grad(String name) { return pick(name, gWvu, gWuu, gBu, gU0); }

    private Tensor pick(String name, Tensor... ts) {
        int i = names().indexOf(name);
        if (i < 0) throw new IllegalArgumentException("rnn-rbm: no parameter " + name);
        return ts[i];
    }

    @Override public void initTutorial() {
        be.scale(Wvu, 0.0001f);
        be.scale(Wuu, 0.0001f);
        be.fill(bu, 0f);
        be.fill(u0, 0f);
    }

    @Override public void forward(Tensor v, Tensor u, int steps, int batch) {
        if (batch == 1) be.copy(u.at(0), u0);
        else {                                                          // u0 in each chunk's row
            Tensor start = u.slice(0, batch);
            be.fill(start, 0f);
            be.addRowVector(start, start, u0);
        }
        // a(t) = bu + v(t) Wvu for all t at once, then u(t) = tanh(a(t) + u(t-1) Wuu) step by step, in one op
        Tensor uNext = u.slice(batch, (steps + 1) * batch);
        be.gemm(uNext, v, false, Wvu, false, 1f, 0f);
        be.addRowVector(uNext, uNext, bu);
        be.tanhRecurrence(u, Wuu, batch);
    }

    @Override public void backward(Tensor v, Tensor u, Tensor du, int steps, int batch) {
        int rows = steps * batch;
        if (dA == null || dA.dim(0) < rows) dA = be.zeros(rows, nu);
        Tensor da = dA.slice(0, rows), uPrev = u.slice(0, rows);
        // backwards in time: da(t) = du(t) (1 - u(t)^2), du(t-1) += da(t) Wuu^T, in one op
        be.tanhRecurrenceBackward(da, du, u, Wuu, batch);
        be.gemm(gWuu, uPrev, true, da, false, 1f, 1f);                  // dWuu += u(t-1)^T da(t)
        be.gemm(gWvu, v, true, da, false, 1f, 1f);                      // dWvu += v(t)^T da(t)
        be.columnSums(gBu, da, 1f, 1f);                                 // dbu += sum_t da(t)
        // d u(0), summed over the chunks, which all start from it; 0 when u(0) is fixed
        if (!learnU0) be.fill(gU0, 0f);
        else if (batch == 1) be.axpy(gU0, du.at(0), 1f);
        else be.columnSums(gU0, du.slice(0, batch), 1f, 1f);
    }

    @Override public void start(Tensor u) {
        be.copy(u.reshape(nu), u0);
    }

    @Override public void step(Tensor v, Tensor uPrev, Tensor uOut) {
        be.gemm(a1, v, false, Wvu, false, 1f, 0f);                      // (3) u(t) = tanh(bu + v Wvu + u(t-1) Wuu)
        be.addRowVector(a1, a1, bu);
        be.gemm(a1, uPrev, false, Wuu, false, 1f, 1f);
        be.tanh(uOut, a1);
    }
}
