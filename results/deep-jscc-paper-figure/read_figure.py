#!/usr/bin/env python3
"""Reads the five curves of Deep JSCC's AWGN figure (Bourtsoulatze, Kurka & Gunduz, IEEE TCCN 2019,
k/n = 1/12, CIFAR-10; PSNR against SNR_test for SNR_train = 1, 4, 7, 13, 19 dB) off a PNG of it.

    python3 read_figure.py PSNR_performance_of_paper.png

The PNG is the copy in github.com/OceanBloom/DeepJSCC-for-Wireless-Image-Transmission,
out_figures/PSNR_performance_of_paper.png at commit 687a148 (602x494 pixels, sha256 9a17c52f...;
not committed here). Standard library only: a minimal PNG decoder, then
- the axes from the figure's own light-grey grid lines (PSNR 30, 28, 26, 24, 20 dB rows; SNR 0, 5,
  10, 15, 20 dB columns, found by counting grid-coloured pixels) and linear maps between them;
- each curve's marker at SNR_test = 1, 4, ..., 25 dB: the pixels of the curve's MATLAB colour in the
  three columns around that SNR, the cluster around their median, its vertical centre. Where the
  legend box lies under a column (SNR_test >= 12 dB, rows below the 24 dB grid line), only pixels
  above the legend are used.
A marker's centre is found to about +-2 pixels: +-0.07 dB of PSNR.
"""
import struct
import sys
import zlib


def read_png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    i, idat = 8, b""
    while i < len(data):
        (n,) = struct.unpack(">I", data[i : i + 4])
        kind, chunk = data[i + 4 : i + 8], data[i + 8 : i + 8 + n]
        i += 12 + n
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
    assert depth == 8 and interlace == 0, "8-bit, non-interlaced PNGs only"
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw, stride, rows, prev, p = zlib.decompress(idat), w * ch, [], bytearray(w * ch), 0
    for _ in range(h):
        f, line = raw[p], bytearray(raw[p + 1 : p + 1 + stride])
        p += 1 + stride
        for x in range(stride):
            a = line[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, lambda x, y: tuple(rows[y][x * ch : x * ch + 3])


def main(path):
    w, h, px = read_png(path)
    grid = lambda c: all(225 <= v <= 245 for v in c) and max(c) - min(c) <= 4
    def lines(pixels_of, length):
        hits = [i for i in range(length) if sum(grid(c) for c in pixels_of(i)) > 150]
        groups = []
        for i in hits:  # a grid line may be two pixels thick: take the middle
            if groups and i - groups[-1][-1] <= 1:
                groups[-1].append(i)
            else:
                groups.append([i])
        return [sum(g) / len(g) for g in groups]
    rows = lines(lambda y: (px(x, y) for x in range(w)), h)
    cols = lines(lambda x: (px(x, y) for y in range(h)), w)
    # Visible grid rows are 30, 28, 26, 24, 20 dB (22 hides behind the legend); columns 0..20 dB.
    psnr_of = lambda y: 30 - (y - rows[0]) * (30 - 20) / (rows[-1] - rows[0])
    x_of = lambda snr: cols[0] + snr * (cols[-1] - cols[0]) / 20
    legend_top = rows[3] + 2  # the 24 dB row; the legend box starts just below it
    colours = {1: (0, 114, 189), 4: (217, 83, 25), 7: (237, 177, 32), 13: (126, 47, 142), 19: (119, 172, 48)}
    print("grid rows (px):", rows, "grid columns (px):", cols, file=sys.stderr)
    print("SNR_train_dB," + ",".join(f"psnr_at_{s}dB" for s in range(1, 26, 3)))
    for train, colour in colours.items():
        out = []
        for snr in range(1, 26, 3):
            x0 = round(x_of(snr))
            top = legend_top if snr >= 12 else h
            ys = sorted(
                y for y in range(h) for x in (x0 - 1, x0, x0 + 1)
                if y < top and sum(abs(a - b) for a, b in zip(px(x, y), colour)) <= 40
            )
            m = ys[len(ys) // 2]
            ys = [y for y in ys if abs(y - m) <= 9]
            out.append(f"{psnr_of((ys[0] + ys[-1]) / 2):.2f}")
        print(f"{train}," + ",".join(out))


if __name__ == "__main__":
    main(sys.argv[1])
