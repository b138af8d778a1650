"""Prints pystoi's STOI of each received WAV file against a clean one, one line per file.

Usage: python3 pystoi_files.py CLEAN.wav RECEIVED.wav [RECEIVED.wav ...]

Each line is the received file's path, a tab and the score in Python's repr (shortest round-trip).
Both files are read as integer samples, at the clean file's rate, and handed to pystoi as floats,
as `sim`'s STOI takes them.
"""
import sys

import numpy as np
from pystoi import stoi
from scipy.io import wavfile

rate, clean = wavfile.read(sys.argv[1])
for path in sys.argv[2:]:
    received_rate, received = wavfile.read(path)
    assert received_rate == rate, f"{path}: {received_rate} Hz, clean file {rate} Hz"
    print(f"{path}\t{float(stoi(clean.astype(np.float64), received.astype(np.float64), rate))!r}")
