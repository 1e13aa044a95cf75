package dev.tessitura.model.io;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.Tensor;
import dev.tessitura.model.Optimizer;
import dev.tessitura.model.Position;
import dev.tessitura.model.Settings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A model's checkpoint, the same for every model: a header with the caller's entries (data, backend), the kind, the
 * configuration through its {@link Settings}, the position and the optimizer's step count; the parameters by name
 * and the optimizer's state tensors (opt.0, opt.1).
 */
public final class Checkpoints {
    private Checkpoints() {}

    /** The header of a checkpoint of {@code kind} with {@code config}, at {@code at}; the caller may add entries. */
    public static <C> Map<String, String> header(Map<String, String> about, String kind, Settings<C> settings, C config, Position at) {
        Map<String, String> meta = new LinkedHashMap<>(about);
        meta.put("kind", kind);
        settings.encode(config, meta);
        meta.putAll(at.toMetadata());
        return meta;
    }

    /** Writes the header, the named parameters and the optimizer's state atomically ({@link SafeTensors#write}). */
    public static void write(Path file, Backend be, Map<String, String> meta, List<String> names, Function<String, Tensor> param,
                             Optimizer opt) throws IOException {
        write(file, be, meta, names, param, opt, Map.of());
    }

    /** As above, with {@code more} tensors by name (a trainer's state beyond the model and its optimizer). */
    public static void write(Path file, Backend be, Map<String, String> meta, List<String> names, Function<String, Tensor> param,
                             Optimizer opt, Map<String, Tensor> more) throws IOException {
        Map<String, SafeTensors.F32> tensors = new LinkedHashMap<>();
        more.forEach((n, t) -> tensors.put(n, of(be, t)));
        for (String name : names) tensors.put(name, of(be, param.apply(name)));
        Tensor[] state = opt.state();
        for (int i = 0; i < state.length; i++) tensors.put("opt." + i, of(be, state[i]));
        meta.put("optimizer_steps", Integer.toString(opt.steps()));
        SafeTensors.write(file, meta, tensors);
    }

    /** Copies the named parameters and the optimizer's state and step count back from a checkpoint. */
    public static void restore(Backend be, SafeTensors.Contents c, List<String> names, Function<String, Tensor> param, Optimizer opt) {
        for (String name : names) restore(be, param.apply(name), c, name);
        Tensor[] state = opt.state();
        for (int i = 0; i < state.length; i++) restore(be, state[i], c, "opt." + i);
        opt.restoreSteps(integer(c, "optimizer_steps"));
    }

    /** A host copy of a tensor, ready to write. */
    public static SafeTensors.F32 of(Backend be, Tensor t) {
        return new SafeTensors.F32(t.shape(), be.toArray(t));
    }

    /**
     * Copies the checkpoint's tensor {@code name} into dst, which must have as many elements, all finite: a model with
     * a NaN or an infinity cannot be trained on, sampled or evaluated.
     */
    public static void restore(Backend be, Tensor dst, SafeTensors.Contents c, String name) {
        SafeTensors.F32 t = c.tensors().get(name);
        if (t == null) throw new IllegalArgumentException("checkpoint has no tensor " + name);
        if (t.data().length != dst.size()) {
            throw new IllegalArgumentException("checkpoint tensor " + name + " has " + t.data().length
                    + " values, the model needs " + dst.size());
        }
        for (float x : t.data()) {
            if (!Float.isFinite(x)) {
                throw new IllegalArgumentException("checkpoint tensor " + name + " holds NaN or infinite values "
                        + "(the model of a run that diverged?): it cannot be used");
            }
        }
        be.copyFromHost(dst, t.data(), 0);
    }

    /** An integer entry of the header; an error naming it when it is missing or not an integer. */
    public static int integer(SafeTensors.Contents c, String key) {
        return Math.toIntExact(longInt(c, key));
    }

    public static long longInt(SafeTensors.Contents c, String key) {
        String v = c.metadata().get(key);
        if (v == null) throw new IllegalArgumentException("the checkpoint's header has no '" + key + "'");
        try {
            return Long.parseLong(v.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the checkpoint's header has a bad '" + key + "' (" + v + "): not an integer");
        }
    }
}
