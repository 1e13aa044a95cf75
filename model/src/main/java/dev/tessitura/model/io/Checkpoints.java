package dev.tessitura.model.io;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Optimizer;
import java.util.Map;

/** Moving a model's tensors and optimizer state between a backend and a checkpoint's contents. */
public final class Checkpoints {
    private Checkpoints() {}

    /** A host copy of a tensor, ready to write. */
    public static SafeTensors.F32 of(Backend be, Tensor t) {
        return new SafeTensors.F32(t.shape(), be.toArray(t));
    }

    /** Copies the checkpoint's tensor {@code name} into dst, which must have as many elements. */
    public static void restore(Backend be, Tensor dst, SafeTensors.Contents c, String name) {
        SafeTensors.F32 t = c.tensors().get(name);
        if (t == null) throw new IllegalArgumentException("checkpoint has no tensor " + name);
        if (t.data().length != dst.size()) {
            throw new IllegalArgumentException("checkpoint tensor " + name + " has " + t.data().length
                    + " values, the model needs " + dst.size());
        }
        be.copyFromHost(dst, t.data(), 0);
    }

    /** The optimizer's state tensors as opt.0, opt.1 and its step count in the metadata. */
    public static void putOptimizer(Backend be, Optimizer opt, Map<String, SafeTensors.F32> tensors, Map<String, String> meta) {
        Tensor[] state = opt.state();
        for (int i = 0; i < state.length; i++) tensors.put("opt." + i, of(be, state[i]));
        meta.put("optimizer_steps", Integer.toString(opt.steps()));
    }

    public static void restoreOptimizer(Backend be, Optimizer opt, SafeTensors.Contents c) {
        Tensor[] state = opt.state();
        for (int i = 0; i < state.length; i++) restore(be, state[i], c, "opt." + i);
        opt.restoreSteps(Integer.parseInt(c.metadata().get("optimizer_steps")));
    }
}
