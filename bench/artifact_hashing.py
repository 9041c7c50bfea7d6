"""Benchmark: stream-hashing one large model artifact, ours vs. the standard library vs. model_signing.

Run from the repository root::

    .venv/bin/python -m bench.artifact_hashing                  # 1 GiB + 1 byte random file, 3 rounds
    .venv/bin/python -m bench.artifact_hashing --size-mib 4096 --repeat 5
    .venv/bin/python -m bench.artifact_hashing --path /data/model.safetensors   # existing file

On ONE file it times, interleaved round by round (a, b, c, d, a, b, c, d, ...) after one untimed
page-cache warm-up read, so machine drift hits every method alike:

a. ``audit.pure.evidence.model_artifact.sha256_file`` (our 1 MiB ``readinto`` loop),
b. ``hashlib.file_digest(f, "sha256")`` (the baseline),
c. ``model_signing.hashing.Config().hash(path)`` (Sigstore model_signing, single-file model),
d. ``audit.pure.evidence.model_artifact.compute_manifest(path)`` (our full model_signing v1.0 manifest).

It prints the median wall time and MiB/s of each, the ratio of each median to hashlib's (absolute
numbers drift on a shared machine; the ratios are what we report), and peak RSS before and after
the timed runs, to show hashing a file of any size keeps memory bounded. It exits 1 if any method
disagrees on the file's SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import model_signing.hashing

from audit.pure.evidence.model_artifact import compute_manifest, sha256_file

MIB = 1 << 20
WRITE_CHUNK = 16 * MIB


def make_random_file(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        remaining = size
        while remaining:
            step = min(WRITE_CHUNK, remaining)
            handle.write(os.urandom(step))
            remaining -= step


def hashlib_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def model_signing_digest(path: Path) -> str:
    manifest = model_signing.hashing.Config().hash(path)
    (descriptor,) = manifest.resource_descriptors()  # a single-file model has exactly one: "."
    return descriptor.digest.digest_hex


def manifest_digest(path: Path) -> str:
    (resource_,) = compute_manifest(path).resources
    return resource_.digest


METHODS: dict[str, Callable[[Path], str]] = {
    "ours sha256_file": sha256_file,
    "hashlib.file_digest": hashlib_digest,
    "model_signing": model_signing_digest,
    "ours compute_manifest": manifest_digest,
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(path: Path, repeat: int) -> int:
    size = path.stat().st_size
    mib = size / MIB
    print(f"file: {path} ({size} bytes = {mib:.1f} MiB), {repeat} interleaved rounds, median reported")
    started = time.perf_counter()
    expected = hashlib_digest(path)  # untimed warm-up: pulls the file into the page cache
    print(f"warm-up read: {time.perf_counter() - started:.2f} s, sha256 {expected}")
    rss_before = peak_rss_mib()

    times: dict[str, list[float]] = {name: [] for name in METHODS}
    mismatches: list[str] = []
    for _ in range(repeat):
        for name, method in METHODS.items():
            started = time.perf_counter()
            digest = method(path)
            times[name].append(time.perf_counter() - started)
            if digest != expected:
                mismatches.append(f"{name}: {digest} != {expected}")

    medians = {name: statistics.median(samples) for name, samples in times.items()}
    baseline = medians["hashlib.file_digest"]
    print()
    print(f"{'method':<24}{'median s':>10}{'min s':>9}{'max s':>9}{'MiB/s':>9}")
    for name, samples in times.items():
        median = medians[name]
        print(f"{name:<24}{median:>10.3f}{min(samples):>9.3f}{max(samples):>9.3f}{mib / median:>9.0f}")
    print()
    print("time ratios vs hashlib.file_digest (median / median; < 1 is faster):")
    for name in ("ours sha256_file", "model_signing", "ours compute_manifest"):
        print(f"  {name + ' / hashlib':<34}{medians[name] / baseline:.3f}")
    print()
    print(f"peak RSS: {rss_before:.1f} MiB before timed runs, {peak_rss_mib():.1f} MiB after")
    if mismatches:
        print("DIGEST MISMATCH:\n  " + "\n  ".join(mismatches), file=sys.stderr)
        return 1
    print(f"digests: all {len(METHODS)} methods agree on every run ({expected})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, help="hash this existing file instead of a random one")
    parser.add_argument("--size-mib", type=int, help="random file size in MiB (default 1 GiB + 1 byte)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds per method (default 3)")
    parser.add_argument("--dir", type=Path, help="directory for the random file (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated random file")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    if args.path is not None:
        if not args.path.is_file():
            parser.error(f"--path {args.path} is not a regular file")
        return run(args.path, args.repeat)

    size = args.size_mib * MIB if args.size_mib else (1 << 30) + 1
    workdir = Path(tempfile.mkdtemp(prefix="bench-hash-", dir=args.dir))
    path = workdir / "model.bin"
    try:
        started = time.perf_counter()
        make_random_file(path, size)
        print(f"wrote {size} random bytes in {time.perf_counter() - started:.1f} s")
        return run(path, args.repeat)
    finally:
        if args.keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
