#!/usr/bin/env python3
"""Write the seed corpora of the numeric fuzz targets (test/fuzz/corpus/<name>/).

The byte formats are those of the harnesses (fuzz_input.h: bytes, 8-byte
little-endian doubles).  Seeds: the inputs of issue #13 that hung or
poisoned 0.2.0, plus ordinary inputs so that the mutator starts from valid
data.  Run from the repository root: python3 test/fuzz/make_seeds.py
"""
import os
import struct

def d(*xs):
    return b''.join(struct.pack('<d', float(x)) for x in xs)

def u8(*xs):
    return bytes(x & 255 for x in xs)

def u32(x):
    return struct.pack('>I', x)

seeds = {
    'lifetime': {
        # issue #13 finding 1: bgnbd_fit(2, 0, 5e-324) looped for ever
        'issue13_denormal_t': u8(0, 1) + d(2, 0, 5e-324) + d(52),
        'issue13_1e300_pair': u8(0, 2) + d(10, 7.99e299, 1e300) + d(0, 0, 9.2e-06) + d(52),
        'issue13_freq_1e20': u8(0, 20) + b''.join(d(10.0 ** (k + 1), 30.0 * (k + 1) / 21, 31) for k in range(20)) + d(39),
        'cdnow_like': u8(0, 8) + d(2, 30.43, 38.86, 1, 1.71, 38.86, 0, 0, 38.86, 0, 0, 38.86,
                                   0, 0, 38.86, 7, 29.43, 38.86, 1, 5, 38.86, 2, 35.71, 38.86) + d(39) + u8(0, 1, 2, 5),
        'predict_cdnow_params': u8(1) + d(0.2426, 4.4135, 0.7929, 2.4258) + u8(2) + d(2, 30.43, 38.86, 0, 0, 38.86) + d(52) + u8(0, 3, 9, 40),
        'predict_tiny_params': u8(1) + d(1e-300, 1e-300, 1e-300, 1e-300) + u8(1) + d(3, 2, 5) + d(1e300) + u8(1, 2, 3, 4),
        'issue13_gg_extremes': u8(2, 3) + d(1e20, 1e-300, 1, 1e308, 2, 5e-324) + d(0.24, 4.4, 0.79, 2.4, 0.01, 4.345) + u8(12),
        'gg_cdnow_like': u8(2, 5) + d(2, 22.35, 1, 11.77, 7, 73.74, 1, 11.77, 2, 25.55) + d(0.2426, 4.4135, 0.7929, 2.4258, 0.01, 4.345) + u8(12),
        'rfm': u8(3) + u32(400) + u8(4) + d(10) + u32(10) + d(7) + u32(10) + d(20) + u32(17) + d(1e308) + u32(31),
    },
    'logreg': {
        # MADlib's patients example (two features), and extremes
        'patients': u8(1, 20) + d(0) + b''.join(u8(yv) + d(a, b) for yv, a, b in [
            (1, 1, 70), (1, 1, 80), (1, 1, 50), (1, 0, 60), (1, 0, 40), (1, 1, 65), (1, 1, 75), (1, 1, 80),
            (1, 1, 70), (1, 0, 60), (0, 1, 65), (0, 1, 50), (0, 1, 45), (0, 0, 35), (0, 0, 40), (0, 0, 50),
            (0, 1, 55), (0, 0, 45), (0, 0, 50), (0, 0, 60)]),
        'one_hot': u8(3, 12) + d(0.5) + b''.join(u8(i % 3 == 0) + d(i % 2, (i // 2) % 2, 1.0 if i % 5 == 0 else 0.0) for i in range(12)),
        'separated': u8(0, 6) + d(0) + b''.join(u8(i >= 3) + d(i) for i in range(6)),
        'extremes': u8(1, 6) + d(1e-3) + b''.join(u8(i % 2) + d(1e308 if i % 3 == 0 else -1e308, 5e-324 * i) for i in range(6)),
        'collinear': u8(2, 8) + d(0) + b''.join(u8(i % 2) + d(i, 2 * i, 7) for i in range(8)),
    },
    'reorder': {
        'ordinary': d(1.5, 0.95) + d(0.95, 10, 3, 4, 1, 50) + d(0.1, 0.1) + u8(10, 1) + u8(0, 3, 0, 0, 5, 2, 0, 4, 0, 1),
        'extremes': d(-1e308, 1e-300) + d(1 - 1e-16, 1e308, 1e308, 1e308, 1e308, 5e-324) + d(5e-324, 1) + u8(4, 4) + u8(200) + d(1e308) + u8(200) + d(1e308) + u8(1, 200) + d(5e-324),
        'holt': d(8.5, 0.5) + d(0.5, 0, 0, 0, 0, 1) + d(0.3, 0.2) + u8(6, 4) + u8(1, 2, 3, 4, 5, 6),
        'tail_z': d(38.4, 1e-310) + d(0.999999, 1, 1, 1, 1, 1) + d(1, 0) + u8(0, 0),
    },
    'routing': {
        'square_closed': u8(1, 1) + u8(*[8 * 3] * 3) + u8(*[8 * 5] * 3) + u8(0),
        'ties_zero': u8(1, 9) + bytes(200) + u8(3),
        'max_cost_open': u8(5, 7) + u8(*([1, 8 * 2] * 40)) + u8(2, 3),
        'asym_denormal': u8(0, 6) + u8(*([2, 8 * 7, 3] * 20)) + d(1e15) + u8(0),
        'vrp': u8(3, 10) + u8(*[8 * (k % 30) + 4 for k in range(50)]) + u8(7) + u8(*range(1, 12)),
        'vrp_limited': u8(7, 12) + u8(*[8 * (k % 17) + 5 for k in range(80)]) + u8(3) + u8(2) + u8(*[0] * 12),
    },
}

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
for target, files in seeds.items():
    os.makedirs(os.path.join(root, target), exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(root, target, name), 'wb') as f:
            f.write(data)
print('seeds written')
