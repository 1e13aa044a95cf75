package dev.tessitura.engine.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every kernel CudaBackend launches. The PTX entry name is "k_" + the constant's name in lower case (ADD_MUL ->
 * k_add_mul); the sources are in the kernels module, src/main/cuda.
 */
enum Kernel {
    ADD, SUB, MUL, ADD_MUL, CLIP, SIGMOID, TANH, SOFTPLUS, LOG_SIGMOID, EXP, SIGMOID_BACKWARD, TANH_BACKWARD, SCALE, AXPY,
    TRANSPOSE, GATHER_ROWS, ADD_ROW_VECTOR, COLUMN_SUMS, ROW_SUMS, PARTIAL_SUMS,
    UNIFORM, BERNOULLI, STORE_OFFSET,
    GIBBS_EPILOGUE, BIAS_SIGMOID, FREE_ENERGY_EPILOGUE, GIBBS_CHAIN,
    NADE_FORWARD, NADE_BACKWARD, NADE_SAMPLE,
    LSTM_CELL, LSTM_CELL_BACKWARD, LSTM_FORWARD, LSTM_BACKWARD,
    TANH_RECURRENCE, TANH_RECURRENCE_BACKWARD,
    MOMENTUM, ADAM, RMSPROP,
    SOFTMAX, SOFTMAX_XENT,
    AIS_HIDDEN, AIS_VISIBLE;

    /** Where the kernels module puts the PTX built by nvcc. */
    static final String PTX_RESOURCE = "/dev/tessitura/kernels/tessitura.ptx";

    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+([A-Za-z_$][\\w$]*)\\s*\\(");

    /** The PTX entry point's name. */
    String entry() {
        return "k_" + name().toLowerCase(Locale.ROOT);
    }

    /** The PTX text packaged in the kernels jar, or empty when nvcc was not found at build time. */
    static Optional<String> ptx() {
        try (InputStream in = Kernel.class.getResourceAsStream(PTX_RESOURCE)) {
            if (in == null) return Optional.empty();
            return Optional.of(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cuda: cannot read " + PTX_RESOURCE, e);
        }
    }

    /** The names of the .entry directives of a PTX module, in order. */
    static Set<String> entries(String ptx) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = ENTRY.matcher(ptx);
        while (m.find()) names.add(m.group(1));
        return names;
    }
}
