package dev.tessitura.engine.cpu;

import dev.tessitura.engine.Backend;
import dev.tessitura.engine.BackendOptions;
import dev.tessitura.engine.BackendProvider;
import java.util.Optional;

/** The scalar reference backend: always available, chosen when nothing faster is. */
public final class ScalarProvider implements BackendProvider {
    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public int priority() {
        return 100;
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public Backend create(BackendOptions options) {
        return new ScalarBackend();
    }
}
