"""Prints pystoi's STOI and ESTOI of each received WAV file against a clean one, one line per file.

Usage: python3 pystoi_files.py [--estoi-draws K] CLEAN.wav RECEIVED.wav [RECEIVED.wav ...]

Each line is the received file's path, a tab, the STOI, and then K ESTOI values (default 1), all
tab-separated in Python's repr (shortest round-trip). ESTOI dithers with NumPy's global generator
(`pystoi.utils.row_col_normalize`); draw k is taken after `np.random.seed(k)`, so the K values
show the spread of the dither on runs of speech without variation (muted), and agree to about
1e-15 elsewhere. Both files are read as integer samples, at the clean file's rate, and handed to
pystoi as floats, as `sim`'s STOI takes them.
"""
import sys

import numpy as np
from pystoi import stoi
from scipy.io import wavfile

args = sys.argv[1:]
draws = 1
if args[0] == "--estoi-draws":
    draws, args = int(args[1]), args[2:]
rate, clean = wavfile.read(args[0])
clean = clean.astype(np.float64)
for path in args[1:]:
    received_rate, received = wavfile.read(path)
    assert received_rate == rate, f"{path}: {received_rate} Hz, clean file {rate} Hz"
    received = received.astype(np.float64)
    scores = [float(stoi(clean, received, rate))]
    for k in range(draws):
        np.random.seed(k)
        scores.append(float(stoi(clean, received, rate, extended=True)))
    print(path + "".join(f"\t{s!r}" for s in scores))
