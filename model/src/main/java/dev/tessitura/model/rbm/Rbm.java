package dev.tessitura.model.rbm;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Rng;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Init;
import dev.tessitura.model.io.CheckpointFormatException;
import dev.tessitura.model.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * A binary restricted Boltzmann machine, E(v, h) = -v.bv - h.bh - v W h, with free energy
 * F(v) = -v.bv - sum_j softplus((v W)_j + bh_j) and P(v) = exp(-F(v)) / Z.
 *
 * <p>Training minimises the contrastive-divergence cost mean_b F(data_b) - mean_m F(neg_m) with the negative sample
 * held fixed (its gradient is the usual CD / PCD update): negatives come from k Gibbs steps started at the data
 * (CD-k, Hinton 2002) or from persistent chains kept between updates (PCD, Tieleman 2008). The update is plain SGD.
 *
 * <p>All parameters live in one tensor (views W (nv, nh), bv (nv), bh (nh)), the gradients in a second one of the
 * same layout, so an update is one axpy and a checkpoint is one write.
 */
public final class Rbm {
    public final int nv, nh;
    private final Backend be;
    /** All parameters, and their gradients in the same layout. */
    public final Tensor params, grads;
    /** Views of {@link #params}: W (nv, nh), bv (nv), bh (nh). */
    public final Tensor w, bv, bh;
    /** Views of {@link #grads}, mirroring w, bv, bh. */
    public final Tensor gW, gBv, gBh;

    // workspace, reallocated when the batch size changes
    private int batch = -1;
    private Tensor neg;     // (B, nv) CD-k negative sample
    private Tensor f;       // (B) free energies
    private Tensor hProb;   // (B, nh)
    private Tensor vPre;    // (B, nv) reconstruction pre-sigmoid, then its cross-entropy terms
    private Tensor tmp;     // (B, nv)
    private Tensor chains;  // (M, nv) persistent chains, null until the first PCD update

    public Rbm(Backend backend, int nv, int nh) {
        if (nv < 1 || nh < 1) throw new IllegalArgumentException("rbm: nv and nh must be >= 1, got " + nv + ", " + nh);
        this.be = backend;
        this.nv = nv;
        this.nh = nh;
        int total = Math.toIntExact((long) nv * nh + nv + nh);
        params = be.zeros(total);
        grads = be.zeros(total);
        w = params.view(0, nv, nh);
        bv = params.view((long) nv * nh, nv);
        bh = params.view((long) nv * nh + nv, nh);
        gW = grads.view(0, nv, nh);
        gBv = grads.view((long) nv * nh, nv);
        gBh = grads.view((long) nv * nh + nv, nh);
    }

    public Backend backend() { return be; }

    /** W ~ N(0, std^2) from Philox stream (seed, 0) by Box-Muller; both biases 0. */
    public void initNormal(double std, long seed) {
        be.fill(params, 0f);
        Init.normal(be, w, std, seed);
    }

    private void workspace(int b) {
        if (b == batch) return;
        batch = b;
        neg = be.zeros(b, nv);
        f = be.zeros(b);
        hProb = be.zeros(b, nh);
        vPre = be.zeros(b, nv);
        tmp = be.zeros(b, nv);
    }

    private int rowsOf(Tensor v) {
        if (v.cols() != nv) throw new IllegalArgumentException("rbm: minibatch " + v + " does not have " + nv + " columns");
        return v.rows();
    }

    /** f (B) = F(v) for each row of v (B, nv). */
    public void freeEnergy(Tensor f, Tensor v) {
        be.freeEnergy(f, v, w, bv, bh);
    }

    /** mean_b F(v_b) over the rows of v (B, nv), accumulated in float64. */
    public double meanFreeEnergy(Tensor v) {
        int b = rowsOf(v);
        workspace(b);
        be.freeEnergy(f, v, w, bv, bh);
        return be.sum(f) / b;
    }

    /**
     * Sets {@link #grads} to the gradient of the CD cost mean_b F(data_b) - mean_m F(neg_m) with neg held fixed:
     * data term alpha = 1/B, negative term alpha = -1/M. data (B, nv), neg (M, nv).
     */
    public void cdGradient(Tensor data, Tensor neg) {
        int b = rowsOf(data), m = rowsOf(neg);
        be.fill(grads, 0f);
        be.freeEnergyGrad(gW, gBv, gBh, data, w, bh, 1f / b);
        be.freeEnergyGrad(gW, gBv, gBh, neg, w, bh, -1f / m);
    }

    /** params -= lr grads. */
    public void sgdStep(float lr) {
        be.axpy(params, grads, -lr);
    }

    /** One CD-k update on data (B, nv): negatives are k Gibbs steps started at the data; then an SGD step. */
    public void cdUpdate(Tensor data, int k, float lr, Rng rng) {
        if (k < 1) throw new IllegalArgumentException("rbm: CD-k needs k >= 1, got " + k);
        workspace(rowsOf(data));
        be.copy(neg, data);
        be.gibbsChain(neg, null, w, bv, bh, k, rng);
        cdGradient(data, neg);
        sgdStep(lr);
    }

    /**
     * One persistent-CD update on data (B, nv): the persistent chains advance k Gibbs steps under the current
     * parameters and their states are the negatives; then an SGD step. The chains are created at the first call as a
     * copy of that minibatch, so their number M is its B; later minibatches may have any size (the negative term
     * is weighted 1/M). {@link #resetChains} starts them afresh.
     */
    public void pcdUpdate(Tensor data, int k, float lr, Rng rng) {
        if (k < 1) throw new IllegalArgumentException("rbm: PCD needs k >= 1, got " + k);
        rowsOf(data);
        if (chains == null) {
            chains = be.zeros(data.rows(), nv);
            be.copy(chains, data);
        }
        be.gibbsChain(chains, null, w, bv, bh, k, rng);
        cdGradient(data, chains);
        sgdStep(lr);
    }

    /** The persistent chains (M, nv), or null before the first PCD update. */
    public Tensor chains() { return chains; }

    /** Forgets the persistent chains: the next PCD update starts them from its minibatch. */
    public void resetChains() { chains = null; }

    /**
     * The Theano RBM tutorial's monitor: the cross-entropy between v (B, nv) and its reconstruction
     * sigmoid(P(h|v) W^T + bv), in nats per row: mean_b sum_i softplus(a_bi) - v_bi a_bi with a = P(h|v) W^T + bv.
     * The tutorial takes a from its sampled CD chain; here h is its mean field P(h|v) so the monitor needs no random
     * numbers and is deterministic. (The tutorial prints the negative of this number.)
     */
    public double reconstructionCost(Tensor v) {
        int b = rowsOf(v);
        workspace(b);
        be.gemm(hProb, v, false, w, false, 1f, 0f);      // P(h|v) = sigmoid(v W + bh)
        be.addRowVector(hProb, hProb, bh);
        be.sigmoid(hProb, hProb);
        be.gemm(vPre, hProb, false, w, true, 1f, 0f);    // a = P(h|v) W^T + bv
        be.addRowVector(vPre, vPre, bv);
        be.mul(tmp, v, vPre);                            // -log P = softplus(a) - v a, elementwise
        be.softplus(vPre, vPre);
        be.sub(vPre, vPre, tmp);
        return be.sum(vPre) / b;
    }

    // ---------------------------------------------------------------- checkpoints

    /**
     * Writes a safetensors checkpoint (atomically): tensors "W" (nv, nh), "bv" (nv), "bh" (nh) and, after PCD updates,
     * "chains" (M, nv); metadata "model" = "rbm", "nv", "nh" and the caller's entries (e.g. the Rng position).
     */
    public void save(Path file, Map<String, String> metadata) throws IOException {
        Map<String, SafeTensors.F32> t = new TreeMap<>();
        t.put("W", new SafeTensors.F32(new int[] {nv, nh}, be.toArray(w)));
        t.put("bv", new SafeTensors.F32(new int[] {nv}, be.toArray(bv)));
        t.put("bh", new SafeTensors.F32(new int[] {nh}, be.toArray(bh)));
        if (chains != null) t.put("chains", new SafeTensors.F32(new int[] {chains.rows(), nv}, be.toArray(chains)));
        Map<String, String> meta = new TreeMap<>(metadata);
        meta.put("model", "rbm");
        meta.put("nv", Integer.toString(nv));
        meta.put("nh", Integer.toString(nh));
        SafeTensors.write(file, meta, t);
    }

    /**
     * Loads a checkpoint written by {@link #save} into this RBM (parameters, and the persistent chains if it has
     * them, else none) and returns its metadata. A missing tensor or one of another shape is a
     * {@link CheckpointFormatException}; the RBM is changed only when the whole file is valid.
     */
    public Map<String, String> load(Path file) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        SafeTensors.F32 fw = need(file, c, "W", nv, nh), fbv = need(file, c, "bv", nv), fbh = need(file, c, "bh", nh);
        SafeTensors.F32 fc = c.tensors().get("chains");
        if (fc != null && (fc.shape().length != 2 || fc.shape()[1] != nv || fc.shape()[0] < 1)) {
            throw new CheckpointFormatException(file, "tensor \"chains\" has shape " + Arrays.toString(fc.shape()) + ", expected (M, " + nv + ")");
        }
        be.copyFromHost(w, fw.data(), 0);
        be.copyFromHost(bv, fbv.data(), 0);
        be.copyFromHost(bh, fbh.data(), 0);
        chains = fc == null ? null : be.of(fc.data(), fc.shape());
        return c.metadata();
    }

    private static SafeTensors.F32 need(Path file, SafeTensors.Contents c, String name, int... shape) throws CheckpointFormatException {
        SafeTensors.F32 t = c.tensors().get(name);
        if (t == null) throw new CheckpointFormatException(file, "no tensor \"" + name + "\" (an RBM checkpoint has W, bv, bh)");
        if (!Arrays.equals(t.shape(), shape)) {
            throw new CheckpointFormatException(file, "tensor \"" + name + "\" has shape " + Arrays.toString(t.shape())
                    + ", this RBM needs " + Arrays.toString(shape));
        }
        return t;
    }
}
