package dev.tessitura.engine;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/** The one place where a backend is chosen: the best available one, or one by name. */
public final class Backends {
    private static final System.Logger LOG = System.getLogger("dev.tessitura.engine");

    private Backends() {}

    /** What a provider said when probed. */
    public record Probe(String name, int priority, Optional<String> unavailableReason, BackendProvider provider) {
        public boolean available() { return unavailableReason.isEmpty(); }
    }

    /** Every provider on the class path, best first. */
    public static List<Probe> probe() {
        List<Probe> probes = new ArrayList<>();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader())) {
            Optional<String> why;
            try {
                why = p.unavailableReason();
            } catch (RuntimeException | LinkageError e) {
                why = Optional.of(e.toString());
            }
            probes.add(new Probe(p.name(), p.priority(), why, p));
        }
        probes.sort(Comparator.comparingInt(Probe::priority).reversed());
        return probes;
    }

    /** The best available backend, with options from system properties. */
    public static Backend best() {
        return create("auto", BackendOptions.fromSystemProperties());
    }

    /**
     * Creates the backend called {@code name}, or with "auto" the available one of highest priority
     * (-Dtessitura.vector=scalar makes "auto" mean "scalar"). Each better backend passed over is logged with its
     * reason. A named backend that cannot run raises {@link IllegalStateException} saying why.
     */
    public static Backend create(String name, BackendOptions options) {
        List<Probe> probes = probe();
        if (name == null || name.isBlank() || name.equals("auto")) {
            boolean forceScalar = System.getProperty(BackendOptions.VECTOR, "").equalsIgnoreCase("scalar");
            for (Probe p : probes) {
                if (forceScalar && !p.name().equals("scalar")) continue;
                if (p.available()) return p.provider().create(options);
                LOG.log(System.Logger.Level.INFO, "backend " + p.name() + " not used: " + p.unavailableReason().get());
            }
            throw new IllegalStateException("no backend available; probed " + describe(probes));
        }
        for (Probe p : probes) {
            if (p.name().equals(name)) {
                if (!p.available()) throw new IllegalStateException(p.name() + ": " + p.unavailableReason().get());
                return p.provider().create(options);
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "'; known: "
                + probes.stream().map(Probe::name).toList());
    }

    private static String describe(List<Probe> probes) {
        StringBuilder sb = new StringBuilder();
        for (Probe p : probes) {
            sb.append(p.name()).append(p.available() ? " (available)" : " (" + p.unavailableReason().get() + ")").append("; ");
        }
        return sb.toString();
    }
}
