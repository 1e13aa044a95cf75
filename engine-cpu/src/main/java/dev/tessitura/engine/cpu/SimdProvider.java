package dev.tessitura.engine.cpu;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.BackendProvider;
import java.lang.reflect.InvocationTargetException;
import java.util.Optional;

/**
 * Provides the Vector API backend ("simd") when the JVM has {@code jdk.incubator.vector}. Like Lucene's
 * vectorization provider, this class names no Vector API type: {@code SimdBackend} is loaded reflectively, so the
 * engine jar links and falls back to the scalar backend on a JVM started without the module.
 */
public final class SimdProvider implements BackendProvider {
    static final String MODULE = "jdk.incubator.vector";
    static final String BACKEND_CLASS = "dev.tessitura.engine.cpu.simd.SimdBackend";

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public int priority() {
        return 200;
    }

    @Override
    public Optional<String> unavailableReason() {
        if (System.getProperty(BackendOptions.VECTOR, "").equalsIgnoreCase("scalar")) {
            return Optional.of("-D" + BackendOptions.VECTOR + "=scalar forces the scalar backend");
        }
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            return Optional.of("the Vector API module is not enabled; run java with --add-modules " + MODULE
                    + " to use SIMD");
        }
        return Optional.empty();
    }

    @Override
    public Backend create(BackendOptions options) {
        unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("simd: " + why);
        });
        try {
            return (Backend) Class.forName(BACKEND_CLASS).getConstructor(BackendOptions.class).newInstance(options);
        } catch (InvocationTargetException e) {
            // the constructor's own exception, e.g. a vector width this CPU does not have
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException("simd: cannot create the backend", e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("simd: cannot load " + BACKEND_CLASS + ": " + e, e);
        }
    }
}
