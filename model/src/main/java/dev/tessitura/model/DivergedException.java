package dev.tessitura.model;

/** Training produced a NaN or an infinity (in the cost or the gradients): the update was not applied. */
public final class DivergedException extends RuntimeException {
    public DivergedException(String message) {
        super(message);
    }
}
