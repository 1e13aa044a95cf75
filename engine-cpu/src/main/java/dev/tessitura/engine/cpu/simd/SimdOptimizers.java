package dev.tessitura.engine.cpu.simd;

import static dev.tessitura.engine.cpu.simd.SimdBackend.LIGHT_PARALLEL_ELEMENTS;
import static dev.tessitura.engine.cpu.simd.SimdBackend.data;
import static dev.tessitura.engine.cpu.simd.SimdBackend.off;

import dev.tessitura.engine.Checks;
import dev.tessitura.engine.Tensor;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** SimdBackend's Adam and RMSprop steps: the scalar reference's float operations, in its order, lane by lane. */
final class SimdOptimizers {
    private final SimdBackend be;
    private final Lanes lanes;

    SimdOptimizers(SimdBackend be) {
        this.be = be;
        this.lanes = be.lanes;
    }

    void adam(Tensor p, Tensor g, Tensor m, Tensor v, float lr, float beta1, float beta2, float eps, int step) {
        Checks.optimizer(be, "adam", p, g, m, v);
        if (step < 1) throw new IllegalArgumentException("adam: step must be >= 1, got " + step);
        float c1 = (float) (1 - Math.pow(beta1, step)), c2 = (float) (1 - Math.pow(beta2, step));
        float[] pd = data(p), gd = data(g), md = data(m), vd = data(v);
        int pOff = off(p), gOff = off(g), mOff = off(m), vOff = off(v);
        be.split((int) p.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector gi = FloatVector.fromArray(s, gd, gOff + i);
                // the same operations in the same order as the scalar reference, lane by lane
                FloatVector mi = FloatVector.fromArray(s, md, mOff + i).mul(beta1).add(gi.mul(1f - beta1));
                FloatVector vi = FloatVector.fromArray(s, vd, vOff + i).mul(beta2).add(gi.mul(1f - beta2).mul(gi));
                mi.intoArray(md, mOff + i);
                vi.intoArray(vd, vOff + i);
                FloatVector step1 = mi.div(c1).mul(lr).div(vi.div(c2).lanewise(VectorOperators.SQRT).add(eps));
                FloatVector.fromArray(s, pd, pOff + i).sub(step1).intoArray(pd, pOff + i);
            }
            for (; i < to; i++) {
                float gi = gd[gOff + i];
                float mi = md[mOff + i] * beta1 + gi * (1f - beta1);
                float vi = vd[vOff + i] * beta2 + gi * (1f - beta2) * gi;
                md[mOff + i] = mi;
                vd[vOff + i] = vi;
                pd[pOff + i] -= (mi / c1) * lr / ((float) Math.sqrt(vi / c2) + eps);
            }
        });
    }

    void rmsprop(Tensor p, Tensor g, Tensor r, float lr, float decay, float eps) {
        Checks.optimizer(be, "rmsprop", p, g, r);
        float[] pd = data(p), gd = data(g), rd = data(r);
        int pOff = off(p), gOff = off(g), rOff = off(r);
        be.split((int) p.size(), LIGHT_PARALLEL_ELEMENTS, (from, to) -> {
            VectorSpecies<Float> s = lanes.floats();
            int i = from;
            for (int bound = from + s.loopBound(to - from); i < bound; i += s.length()) {
                FloatVector gi = FloatVector.fromArray(s, gd, gOff + i);
                FloatVector ri = FloatVector.fromArray(s, rd, rOff + i).mul(decay).add(gi.mul(1f - decay).mul(gi));
                ri.intoArray(rd, rOff + i);
                FloatVector.fromArray(s, pd, pOff + i).sub(gi.mul(lr).div(ri.lanewise(VectorOperators.SQRT).add(eps)))
                        .intoArray(pd, pOff + i);
            }
            for (; i < to; i++) {
                float gi = gd[gOff + i];
                float ri = rd[rOff + i] * decay + gi * (1f - decay) * gi;
                rd[rOff + i] = ri;
                pd[pOff + i] -= gi * lr / ((float) Math.sqrt(ri) + eps);
            }
        });
    }
}
