package dev.tessitura.midi;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.stream.Collectors;
import net.razorvine.pickle.Opcodes;
import net.razorvine.pickle.PickleException;
import net.razorvine.pickle.Unpickler;
import net.razorvine.pickle.objects.ClassDict;
import net.razorvine.pickle.objects.ClassDictConstructor;

/**
 * A pickle's objects through Pyrolite, with the numpy objects that data-set pickles hold: a numpy scalar becomes a
 * Long, Double, BigInteger (uint64 past Long) or Boolean, and an ndarray an {@link NdArray}. Objects of other
 * classes become inert {@link ClassDict}s, refused only where data is expected. A length field claiming more bytes
 * than the file has left is refused before Pyrolite allocates it, so a small corrupt file cannot ask for gigabytes.
 */
final class PickleData {
    static {
        // numpy 1 pickles name numpy.core, numpy 2 pickles numpy._core
        for (String core : List.of("numpy.core", "numpy._core")) {
            Unpickler.registerConstructor(core + ".multiarray", "scalar", PickleData::scalar);
            Unpickler.registerConstructor(core + ".multiarray", "_reconstruct", args -> new NdArray());
            Unpickler.registerConstructor(core + ".numeric", "_frombuffer", PickleData::fromBuffer); // protocol 5
        }
        Unpickler.registerConstructor("numpy", "dtype", args -> new Dtype(args.length > 0 ? args[0] : null));
    }

    private PickleData() {}

    /** Content we read but refuse (a numpy array whose bytes do not fit its shape, ...); the message is for the user. */
    private static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    /** The pickled object; a {@link MidiFormatException} naming {@code file} for anything unreadable. */
    static Object load(byte[] bytes, Path file) throws MidiFormatException {
        Input in = new Input(bytes);
        Reader r = new Reader(in);
        try {
            return r.load(in);
        } catch (Refused e) {
            throw new MidiFormatException(file, e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            if (in.available() == 0) {
                throw new MidiFormatException(file, "the pickle ends early, after " + bytes.length
                        + " bytes, before its end mark (a truncated file?)", e);
            }
            // Pyrolite's own messages say what is wrong; the JVM's (ClassCastException, ...) would only confuse
            String what = e instanceof PickleException ? e.getMessage() : "corrupt data";
            throw new MidiFormatException(file, "not a readable pickle: " + what + " (opcode 0x"
                    + Integer.toHexString(r.opcode) + " at byte " + r.opcodeAt + ")", e);
        }
    }

    /** The file's bytes with the read position visible, for the length checks and the error messages. */
    private static final class Input extends ByteArrayInputStream {
        Input(byte[] b) {
            super(b);
        }

        int position() { return pos; }

        /** The little-endian length field of {@code n} bytes at the read position (not consumed); -1 if cut off. */
        long peekLength(int n) {
            if (count - pos < n) return -1;
            ByteBuffer b = ByteBuffer.wrap(buf, pos, n).order(ByteOrder.LITTLE_ENDIAN);
            return n == 4 ? b.getInt() : b.getLong();
        }
    }

    private static final class Reader extends Unpickler {
        private final Input in;
        short opcode;
        int opcodeAt;

        Reader(Input in) {
            this.in = in;
        }

        @Override
        protected Object dispatch(short key) throws IOException {
            opcode = key;
            opcodeAt = in.position() - 1;
            int lengthBytes = switch (key) {
                case Opcodes.BINSTRING, Opcodes.BINBYTES, Opcodes.BINUNICODE, Opcodes.LONG4 -> 4;
                case Opcodes.BINBYTES8, Opcodes.BINUNICODE8, Opcodes.BYTEARRAY8 -> 8;
                default -> 0;
            };
            if (lengthBytes > 0) {
                long n = in.peekLength(lengthBytes), left = in.available() - lengthBytes;
                if (left >= 0 && (n < 0 || n > left)) { // (a cut-off length field is left to the end-of-file check)
                    throw new Refused("the pickle is truncated or corrupt: the item at byte " + opcodeAt + " claims "
                            + n + " bytes, and the file has " + left + " left");
                }
            }
            if ((key == Opcodes.REDUCE || key == Opcodes.NEWOBJ) && stack.size() >= 2) {
                // an unknown class called with arguments: Pyrolite refuses it; keep an inert placeholder instead
                Object args = stack.pop();
                if (stack.peek() instanceof ClassDictConstructor c) {
                    stack.pop();
                    stack.add(c.construct(new Object[0]));
                    return NO_RETURN_VALUE;
                }
                stack.add(args);
            } else if (key == Opcodes.BUILD && stack.size() >= 2) {
                // numpy's state tuples, which Pyrolite would pass to a public __setstate__ by reflection
                Object state = stack.pop();
                switch (stack.peek()) {
                    case Dtype d -> d.setState(state);
                    case NdArray a -> a.setState(state);
                    case ClassDict c when !(state instanceof HashMap) -> { } // placeholder: state unused
                    case null, default -> {
                        stack.add(state);
                        return super.dispatch(key);
                    }
                }
                return NO_RETURN_VALUE;
            }
            return super.dispatch(key);
        }
    }

    /** numpy.dtype: kind ('b' bool, 'i' int, 'u' unsigned, 'f' float, 'O' object, ...), item size and byte order. */
    static final class Dtype {
        final String code;
        final char kind;
        final int size;
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;

        Dtype(Object code) {
            this.code = String.valueOf(code);
            kind = this.code.isEmpty() ? '?' : this.code.charAt(0);
            String digits = this.code.substring(Math.min(1, this.code.length()));
            size = digits.matches("[0-9]{1,3}") ? Integer.parseInt(digits) : 0;
        }

        /** numpy's (version, byte order, ...) state; very old pickles start with the byte order. */
        void setState(Object state) {
            if (state instanceof Object[] s && s.length > 1) {
                if (">".equals(s[0] instanceof String ? s[0] : s[1])) order = ByteOrder.BIG_ENDIAN;
            }
        }

        /** Whether items are numbers this reader decodes: bool, (unsigned) integers of 1-8 bytes, floats of 2-8. */
        boolean numeric() {
            return switch (kind) {
                case 'b' -> size == 1;
                case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
                case 'f' -> size == 2 || size == 4 || size == 8;
                default -> false;
            };
        }

        @Override
        public String toString() {
            return switch (kind) {
                case 'b' -> "bool";
                case 'i' -> "int" + 8 * size;
                case 'u' -> "uint" + 8 * size;
                case 'f' -> "float" + 8 * size;
                case 'O' -> "object";
                default -> code;
            };
        }
    }

    /**
     * A numpy array (or, with no dimensions, an unsupported scalar): shape, dtype, C or Fortran order, and its
     * items as bytes ({@link #numeric}) or objects (dtype object). Filled by numpy's pickle state; until then it
     * has no shape.
     */
    static final class NdArray {
        private long[] shape;
        private Dtype dtype;
        private boolean fortran;
        private ByteBuffer data;
        private List<?> objects;

        /** {@code _reconstruct}'s BUILD state: ([version,] shape, dtype, is_fortran, bytes or list). */
        void setState(Object state) {
            if (!(state instanceof Object[] s) || s.length < 4) throw new Refused("unexpected numpy array state " + state);
            int o = s.length - 4;
            set(s[o], s[o + 1], Boolean.TRUE.equals(s[o + 2]) || s[o + 2] instanceof Number n && n.intValue() != 0, s[o + 3]);
        }

        private void set(Object shape, Object dtype, boolean fortran, Object items) {
            if (!(shape instanceof Object[] dims) || !(dtype instanceof Dtype d)) {
                throw new Refused("unexpected numpy array state: shape " + shape + ", dtype " + dtype);
            }
            this.shape = new long[dims.length];
            long n = 1;
            for (int i = 0; i < dims.length; i++) {
                if (!(dims[i] instanceof Number x) || x.longValue() < 0) throw new Refused("numpy array shape " + Arrays.toString(dims));
                this.shape[i] = x.longValue();
                try {
                    n = Math.multiplyExact(n, this.shape[i]);
                } catch (ArithmeticException e) {
                    throw new Refused("numpy array shape " + Arrays.toString(dims) + " is too big");
                }
            }
            this.dtype = d;
            this.fortran = fortran;
            if (items instanceof List<?> l) {
                objects = l;
                if (l.size() != n) throw new Refused(this + " holds " + l.size() + " items, not " + n);
            } else if (d.numeric()) {
                byte[] b = bytes(items);
                if (b == null || n > Integer.MAX_VALUE || b.length != n * d.size) {
                    throw new Refused(this + " holds " + (b == null ? "no" : b.length) + " bytes of data where its shape needs "
                            + n + " items of " + d.size + " bytes");
                }
                data = ByteBuffer.wrap(b).order(d.order);
            }
        }

        int dims() { return shape == null ? -1 : shape.length; }

        long length(int axis) { return shape[axis]; }

        Dtype dtype() { return dtype; }

        /** Whether its items are numbers to read with {@link #value}. */
        boolean numeric() { return data != null; }

        /** The items of a 1-D object array; null for any other array. */
        List<?> objects() { return dims() == 1 ? objects : null; }

        /** Item {@code i} of a 1-D numeric array. */
        double value(long i) { return item(i); }

        /** Item (row, col) of a 2-D numeric array, in C or Fortran order. */
        double value(long row, long col) { return item(fortran ? row + col * shape[0] : row * shape[1] + col); }

        /** The item at flat index k as a double (bool: 0 or 1). */
        private double item(long k) {
            if (dtype.kind == 'f') {
                int i = Math.toIntExact(k * dtype.size);
                return switch (dtype.size) {
                    case 2 -> Float.float16ToFloat(data.getShort(i));
                    case 4 -> data.getFloat(i);
                    default -> data.getDouble(i);
                };
            }
            long v = bits(k);
            return dtype.kind == 'u' && v < 0 ? new BigInteger(Long.toUnsignedString(v)).doubleValue() : v;
        }

        /** The integer at flat index k: sign-extended for 'i', zero-extended for 'u' and 'b'. */
        private long bits(long k) {
            int i = Math.toIntExact(k * dtype.size);
            boolean signed = dtype.kind == 'i';
            return switch (dtype.size) {
                case 1 -> signed ? data.get(i) : data.get(i) & 0xFF;
                case 2 -> signed ? data.getShort(i) : data.getShort(i) & 0xFFFF;
                case 4 -> signed ? data.getInt(i) : data.getInt(i) & 0xFFFFFFFFL;
                default -> data.getLong(i);
            };
        }

        @Override
        public String toString() {
            if (shape == null) return "a numpy array with no data";
            if (shape.length == 0) return "a numpy " + dtype + " scalar";
            return "a numpy " + dtype + " array of shape ("
                    + Arrays.stream(shape).mapToObj(Long::toString).collect(Collectors.joining(", "))
                    + (shape.length == 1 ? ",)" : ")");
        }
    }

    /** Bytes as pickled: bytes/bytearray (Python 3) or a latin-1 str (Python 2). */
    private static byte[] bytes(Object o) {
        if (o instanceof byte[] b) return b;
        if (o instanceof String s) return s.getBytes(StandardCharsets.ISO_8859_1);
        return null;
    }

    /** numpy.core.multiarray.scalar(dtype, bytes): a numpy scalar such as the JSB chorales' int64 notes. */
    private static Object scalar(Object[] args) {
        if (args.length != 2 || !(args[0] instanceof Dtype d)) throw new Refused("unexpected numpy scalar arguments");
        NdArray a = new NdArray();
        if (!d.numeric()) { // a str, complex, ... scalar: kept to be refused where a number is wanted
            a.set(new Object[0], d, false, List.of(args[1]));
            return a;
        }
        a.set(new Object[0], d, false, args[1]);
        return switch (d.kind) {
            case 'b' -> a.bits(0) != 0;
            case 'f' -> a.item(0);
            case 'u' -> a.bits(0) < 0 ? new BigInteger(Long.toUnsignedString(a.bits(0))) : (Object) a.bits(0);
            default -> a.bits(0);
        };
    }

    /** numpy.core.numeric._frombuffer(buffer, dtype, shape, order): how protocol 5 pickles an array. */
    private static Object fromBuffer(Object[] args) {
        if (args.length != 4) throw new Refused("unexpected numpy _frombuffer arguments");
        NdArray a = new NdArray();
        a.set(args[2], args[1], "F".equals(args[3]), args[0]);
        return a;
    }
}
