#!/usr/bin/env python3
"""Draws the samples of `ponder eval --task digits` runs as one PNG: a row per JSONL file, a column per sample.

usage: grid.py OUT.png FILE.jsonl [FILE.jsonl ...]   (pixels are in sklearn's 0..16 scale; standard library only)
"""
import json
import struct
import sys
import zlib

SCALE = 4  # screen pixels per digit pixel
GAP = 2


def png(path, rows):
    """rows: list of lists of 64-value images; writes an 8-bit grayscale PNG."""
    cols = max(len(r) for r in rows)
    cell = 8 * SCALE + GAP
    width, height = cols * cell, len(rows) * cell
    canvas = [[0] * width for _ in range(height)]
    for r, images in enumerate(rows):
        for c, pixels in enumerate(images):
            for p, v in enumerate(pixels):
                gray = max(0, min(255, round(v / 16 * 255)))
                y0, x0 = r * cell + GAP // 2 + (p // 8) * SCALE, c * cell + GAP // 2 + (p % 8) * SCALE
                for dy in range(SCALE):
                    canvas[y0 + dy][x0:x0 + SCALE] = [gray] * SCALE
    raw = b"".join(b"\x00" + bytes(line) for line in canvas)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rows = []
    for name in sys.argv[2:]:
        with open(name) as f:
            rows.append([json.loads(line)["pixels"] for line in f if line.strip()])
    png(sys.argv[1], rows)


if __name__ == "__main__":
    main()
