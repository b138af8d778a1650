#!/usr/bin/env python3
"""Builds source_bench.csv of this folder: the fast coders' whole-set rows (fast_coders.csv) plus
one SmolLM2 row summed over the per-chunk runs (chunks/chunk-K.csv; the whole test set split into
8 chunks so an interrupted run resumes by chunk).

Counts (sentences, chars, words, tokens, bits, failures) are summed over all chunks; rates are
recomputed from the sums. Speed is total tokens over total seconds of the chunks named in
SPEED_CHUNKS: chunk 0's timing is excluded because that run was paused (SIGSTOP) and shared the
CPU with a CI build, so its tokens/s are not a measurement of the coder (its bits are unaffected).

Usage: python3 results/source-bench/aggregate.py   (from the repository root or anywhere)
"""
import csv
import glob
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SPEED_EXCLUDED = {"chunk-0.csv"}


def main():
    chunks = sorted(glob.glob(os.path.join(HERE, "chunks", "chunk-*.csv")))
    rows = [(os.path.basename(p), next(csv.DictReader(open(p)))) for p in chunks]
    fields = list(csv.DictReader(open(chunks[0])).fieldnames)
    total = {k: sum(int(r[k]) for _, r in rows) for k in ["sentences", "chars", "words", "tokens", "bits", "roundtrip_failures"]}
    timed = [r for name, r in rows if name not in SPEED_EXCLUDED]
    timed_tokens = sum(int(r["tokens"]) for r in timed)
    enc_s = sum(int(r["tokens"]) / float(r["encode_tokens_per_s"]) for r in timed)
    dec_s = sum(int(r["tokens"]) / float(r["decode_tokens_per_s"]) for r in timed)
    first = rows[0][1]
    smollm2 = {
        **{k: first[k] for k in ["coder", "threads", "lm_batch"]},
        **total,
        "bits_per_char": f"{total['bits'] / total['chars']:.4f}",
        "bits_per_word": f"{total['bits'] / total['words']:.4f}",
        "bits_per_sentence": f"{total['bits'] / total['sentences']:.2f}",
        "encode_tokens_per_s": f"{timed_tokens / enc_s:.1f}",
        "decode_tokens_per_s": f"{timed_tokens / dec_s:.1f}",
    }
    fast = list(csv.DictReader(open(os.path.join(HERE, "fast_coders.csv"))))
    with open(os.path.join(HERE, "source_bench.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        for r in fast:
            w.writerow(r)
        w.writerow(smollm2)
    print(f"{len(rows)} chunks, {total['sentences']} sentences, {total['bits']} bits, "
          f"{smollm2['bits_per_char']} bits/char, {total['roundtrip_failures']} round-trip failures, "
          f"{smollm2['encode_tokens_per_s']} / {smollm2['decode_tokens_per_s']} tokens/s encode / decode "
          f"({len(timed)} timed chunks, {timed_tokens} tokens)")
    for r in fast:
        print(f"  SmolLM2 vs {r['coder']}: {float(r['bits_per_char']) / float(smollm2['bits_per_char']):.3f}x fewer bits")


main()
