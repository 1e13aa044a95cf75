"""Writes the numpy test pickles beside this script (documentation only: the build does not run it).

Run with Python 3 and numpy 1.x or 2.x:  python3 make_pickles.py
NumpyPickleTest rebuilds the same rolls from ON below and compares them exactly.
"""
import collections
import os
import pickle

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def ON(s, t, j):
    """Whether sequence s has MIDI note 21 + j on in frame t (j in 0..87); asymmetric in t and j on purpose."""
    return (3 * t + 5 * j + 7 * s) % 11 == 0 or (t == 0 and j == s)


def frames(s):
    return 2 + s % 3  # 2..4 frames, different per sequence


def roll88(s, dtype):
    return np.array([[1 if ON(s, t, j) else 0 for j in range(88)] for t in range(frames(s))], dtype=dtype)


def notes(s, t):
    return [21 + j for j in range(88) if ON(s, t, j)]


class BigEndianScalar:
    """A numpy int64 scalar as a big-endian machine pickles it (numpy pickles native-order scalars)."""

    def __init__(self, value):
        self.value = value

    def __reduce__(self):
        scalar = np.int64(0).__reduce__()[0]  # numpy.(_)core.multiarray.scalar
        return scalar, (np.dtype('>i8'), int(self.value).to_bytes(8, 'big'))


def dump(name, data, protocol):
    with open(os.path.join(HERE, name), 'wb') as f:
        pickle.dump(data, f, protocol=protocol)


# Notes as numpy scalars in tuples, as in the JSB chorales pickles (those use int64 only; here every width).
SCALARS = [np.int64, np.int32, np.int16, np.int8, np.uint8, np.uint16, np.uint32, np.uint64,
           np.float16, np.float32, np.float64, BigEndianScalar]


def scalar_seq(s):
    return [tuple(SCALARS[(t + k) % len(SCALARS)](n) for k, n in enumerate(notes(s, t))) for t in range(frames(s))]


scalars = {'train': [scalar_seq(0), scalar_seq(1)], 'valid': [],  # an empty split is legal
           'test': [[tuple(np.int64(n) for n in notes(2, 0))]]}  # a one-frame tune
dump('scalars-p2.pkl', scalars, 2)
dump('scalars-p4.pkl', scalars, 4)

# Each frame a 1-D array of note numbers, in several dtypes and both byte orders; an empty array is a silent frame.
FRAME_DTYPES = ['<i8', '>i2', 'u1', '<f4', '>f8', '<u4']


def array_seq(s):
    return [np.array(notes(s, t), dtype=FRAME_DTYPES[(s + t) % len(FRAME_DTYPES)]) for t in range(frames(s))]


frame_arrays = {'train': [array_seq(3), array_seq(4)], 'valid': [array_seq(5)],
                'test': [[np.array([], dtype='i8')]]}
dump('frames-p4.pkl', frame_arrays, 4)

# Whole sequences as 2-D 0/1 piano rolls: T x 88 (column j = MIDI 21 + j) and T x 128 (column = MIDI note).
def roll128(s, dtype):
    r = np.zeros((frames(s), 128), dtype=dtype)
    r[:, 21:109] = roll88(s, dtype)
    return r


rolls = {'train': [roll88(6, np.uint8), roll88(7, np.bool_), roll128(8, np.float32),
                   np.asfortranarray(roll88(9, np.int64))],
         'valid': [roll88(10, '>i4'), np.asfortranarray(roll88(11, '>f8')), np.zeros((0, 88), np.uint8)],
         'test': [roll88(12, np.bool_)[:1]]}
for p in (2, 4, 5):  # protocol 5 pickles arrays through numpy's _frombuffer
    dump('rolls-p%d.pkl' % p, rolls, p)


# Bad files, each refused with a message naming what is wrong.
class Malformed:
    """An ndarray pickled by hand: state (version, shape, dtype, is_fortran, data) with too few bytes."""

    def __reduce__(self):
        reconstruct = np.array(0).__reduce__()[0]  # numpy.(_)core.multiarray._reconstruct
        return reconstruct, (np.ndarray, (0,), b'b'), (1, (2, 88), np.dtype('u1'), False, b'\0' * 5)


def bad(name, train):
    dump(name, {'train': train, 'valid': [], 'test': []}, 2)


bad('bad-shape.pkl', [np.zeros((3, 4), np.int64)])  # SATB pitches per frame, not a piano roll
bad('bad-bytes.pkl', [Malformed()])
bad('bad-value.pkl', [np.full((2, 88), 2, np.uint8)])  # velocities, not 0/1
bad('bad-dtype.pkl', [[np.array(['C4', 'E4'])]])  # note names
bad('bad-class.pkl', [[range(60, 64)]])  # a Python object Pyrolite does not know

# The splits in an OrderedDict (Pyrolite knows no such class; the loader takes any dict subclass).
dump('ordered-p2.pkl', collections.OrderedDict([('train', [roll88(6, np.uint8)]), ('valid', [array_seq(5)]),
                                                ('test', [scalar_seq(1)])]), 2)
