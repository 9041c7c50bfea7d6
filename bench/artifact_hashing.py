"""Benchmark: stream-hashing one large model artifact, ours vs. the standard library vs. model_signing.

Run from the repository root::

    .venv/bin/python -m bench.artifact_hashing                  # 1 GiB + 1 byte random file, 5 rounds
    .venv/bin/python -m bench.artifact_hashing --size-mib 4096 --rounds 7
    .venv/bin/python -m bench.artifact_hashing --path /data/model.safetensors   # existing file

On ONE file it times, interleaved round by round (a, b, c, d, a, b, c, d, ...) after one untimed
page-cache warm-up read, so machine drift hits every method alike:

a. ``audit.pure.evidence.model_artifact.sha256_file`` (our 1 MiB ``readinto`` loop),
b. ``hashlib.file_digest(f, "sha256")`` (the baseline),
c. ``model_signing.hashing.Config().hash(path)`` (Sigstore model_signing, single-file model),
d. ``audit.pure.evidence.model_artifact.compute_manifest(path)`` (our full model_signing v1.0 manifest).

The file is in the page cache, so this measures hashing, not the disk. Each of a, c and d is one row
of the table against b: median [min-max] seconds and the per-round ratio to hashlib's time of the same
round. The check column gives peak RSS before and after the timed runs (hashing a file of any size
keeps memory bounded). It exits 1 if any method disagrees on the file's SHA-256.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import model_signing.hashing

from audit.pure.evidence.model_artifact import compute_manifest, sha256_file
from bench.report import MIN_ROUNDS, Figure, emit, progress

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


BASELINE = "hashlib.file_digest"
METHODS: dict[str, Callable[[Path], str]] = {
    "sha256_file (ours: 1 MiB readinto loop)": sha256_file,
    BASELINE: hashlib_digest,
    "model_signing.hashing.Config().hash": model_signing_digest,
    "compute_manifest (ours: model_signing v1.0 manifest)": manifest_digest,
}


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run(path: Path, rounds: int, as_json: bool) -> int:
    size = path.stat().st_size
    mib = size / MIB
    progress(f"artifact_hashing: {path} ({size} bytes = {mib:.1f} MiB), {rounds} interleaved rounds")
    started = time.perf_counter()
    expected = hashlib_digest(path)  # untimed warm-up: pulls the file into the page cache
    progress(f"warm-up read: {time.perf_counter() - started:.2f} s, sha256 {expected}")
    rss_before = peak_rss_mib()

    times: dict[str, list[float]] = {name: [] for name in METHODS}
    mismatches: list[str] = []
    for round_ in range(rounds):
        for name, method in METHODS.items():
            started = time.perf_counter()
            digest = method(path)
            times[name].append(time.perf_counter() - started)
            if digest != expected:
                mismatches.append(f"{name}: {digest} != {expected}")
        progress(f"artifact_hashing round {round_ + 1}/{rounds} done")

    rss_after = peak_rss_mib()
    check = (
        f"digests agree; peak RSS {rss_before:.0f} MiB before, {rss_after:.0f} MiB after"
        if not mismatches
        else "DIGEST MISMATCH"
    )
    figures = [
        Figure(
            benchmark="artifact hashing (page-cached file)",
            size=f"{mib:,.0f} MiB",
            measured=name,
            baseline='hashlib.file_digest(f, "sha256")',
            measured_seconds=samples,
            baseline_seconds=times[BASELINE],
            check=check,
        )
        for name, samples in times.items()
        if name != BASELINE
    ]
    emit(figures, as_json)
    if mismatches:
        print("DIGEST MISMATCH:\n  " + "\n  ".join(mismatches), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", type=Path, help="hash this existing file instead of a random one")
    parser.add_argument("--size-mib", type=int, help="random file size in MiB (default 1 GiB + 1 byte)")
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="timed rounds of every method")
    parser.add_argument("--dir", type=Path, help="directory for the random file (default: system temp)")
    parser.add_argument("--keep", action="store_true", help="keep the generated random file")
    parser.add_argument("--json", action="store_true", help="one JSON figure a line (for python -m bench)")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    if args.path is not None:
        if not args.path.is_file():
            parser.error(f"--path {args.path} is not a regular file")
        return run(args.path, args.rounds, args.json)

    size = args.size_mib * MIB if args.size_mib else (1 << 30) + 1
    workdir = Path(tempfile.mkdtemp(prefix="bench-hash-", dir=args.dir))
    path = workdir / "model.bin"
    try:
        started = time.perf_counter()
        make_random_file(path, size)
        progress(f"wrote {size} random bytes in {time.perf_counter() - started:.1f} s")
        return run(path, args.rounds, args.json)
    finally:
        if args.keep:
            progress(f"kept {path}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
