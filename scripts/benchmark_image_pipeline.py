#!/usr/bin/env python
"""Throughput of the image-file pipelines (``arconvl.data.large``): images/s read, decoded,
resized and batched, on generated JPEGs of the real source sizes — CelebA's aligned 178×218
images to 64×64, iNaturalist-like 500×375 images to 224×224 — plus a pass served from an
in-memory cache and the one-off ``verify_images`` check. Each figure is the median of the
timed passes after one untimed warm-up pass.

    python scripts/benchmark_image_pipeline.py [--count 384] [--batch-size 64] [--passes 3] [--no-antialias]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from arconvl.data.large import image_file_eval_pipeline, image_file_train_pipeline, verify_images  # noqa: E402

# (label, source width × height, target side, images in the paper's training set per epoch)
CASES = (("CelebA 178x218 -> 64x64", (178, 218), 64, 106974),
         ("iNat 500x375 -> 224x224", (500, 375), 224, 109378))


def write_photos(folder, count, size, seed=0):
    """``count`` photo-like JPEGs (smooth colour fields with fine noise, quality 90)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        coarse = Image.fromarray(rng.integers(0, 256, (9, 12, 3), dtype=np.uint8)).resize(size, Image.BICUBIC)
        pixels = np.asarray(coarse, dtype=np.float32) + rng.normal(0, 6, (size[1], size[0], 3))
        path = folder / f"{i:05d}.jpg"
        Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, quality=90)
        paths.append(str(path))
    return paths


def images_per_second(make_dataset, count, passes):
    dataset = make_dataset()
    rates = []
    for index in range(passes + 1):
        start = time.perf_counter()
        for _ in dataset:
            pass
        if index:                                    # pass 0 warms up (tracing, autotuning, cache fill)
            rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=384, help="generated images per source size")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--passes", type=int, default=3, help="timed passes after the warm-up pass")
    parser.add_argument("--no-antialias", dest="antialias", action="store_false",
                        help="plain bilinear sampling instead of the default antialiased resize")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU cores, load average {os.getloadavg()[0]:.1f}; {args.count} images per case, "
          f"batch {args.batch_size}, median of {args.passes} passes, antialias {args.antialias}")
    with tempfile.TemporaryDirectory() as workdir:
        for label, size, side, paper_epoch in CASES:
            paths = write_photos(Path(workdir) / f"{size[0]}x{size[1]}", args.count, size)
            kilobytes = sum(os.path.getsize(p) for p in paths) / len(paths) / 1024
            labels = np.arange(len(paths)) % 5
            common = dict(image_size=(side, side), batch_size=args.batch_size, pixel_scale=1.0,
                          antialias=args.antialias)
            train = images_per_second(lambda: image_file_train_pipeline(paths, labels, seed=0, **common),
                                      len(paths), args.passes)
            evaluation = images_per_second(lambda: image_file_eval_pipeline(paths, **common), len(paths), args.passes)
            cached = images_per_second(lambda: image_file_train_pipeline(paths, labels, seed=0, cache=True, **common),
                                       len(paths), args.passes)
            start = time.perf_counter()
            verify_images(paths)
            verified = len(paths) / (time.perf_counter() - start)
            print(f"{label} ({kilobytes:.0f} KB/file): train {train:7.0f} img/s "
                  f"(an epoch of the paper's {paper_epoch} images: {paper_epoch / train / 60:5.1f} min), "
                  f"eval {evaluation:7.0f} img/s, memory-cached {cached:7.0f} img/s, verify {verified:7.0f} img/s")


if __name__ == "__main__":
    main()
