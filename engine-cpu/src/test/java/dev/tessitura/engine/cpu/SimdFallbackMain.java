package dev.tessitura.engine.cpu;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.Backends;

/** Run by {@link SimdFallbackTest} in a child JVM: prints the name of the backend "auto" picks there. */
public final class SimdFallbackMain {
    private SimdFallbackMain() {}

    public static void main(String[] args) {
        try (Backend be = Backends.create("auto", BackendOptions.defaults())) {
            System.out.println(be.name());
        }
    }
}
