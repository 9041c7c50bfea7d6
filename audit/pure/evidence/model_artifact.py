"""Model artifacts as ``model_signing`` v1.0 manifests (predicate ``https://model_signing/signature/v1.0``).

We emit byte-for-byte the statement *shape* that Sigstore's ``model_signing`` 1.x builds for its
default ``files`` serialization, so ``model_signing verify key`` accepts our bundles and we can
verify theirs. What that shape is (read from model_signing 1.1.1, ``signing.Payload`` and
``_serialization/file.py``):

* Walk: the model path itself, then every entry below it (``Path.glob("**/*")`` semantics: dot
  files included, symlinked directories listed but not descended). Any symlink is refused unless
  ``allow_symlinks`` - even inside ignored directories, because the check runs before the ignore
  test. Anything that is neither a file nor a directory (socket, FIFO, dangling link) is refused.
* Ignored: paths under ``ignore_paths`` (relative to the model root), by default the git paths
  ``.git``, ``.gitattributes``, ``.github``, ``.gitignore`` at the top level only. The recorded
  ``ignore_paths`` lists them all (model_signing writes them in set order; we sort).
* ``resources``: one ``{"name", "algorithm": "sha256", "digest"}`` per file, ``name`` the POSIX
  path relative to the root (``"."`` for a single-file model), sorted by path *components*
  (``a`` < ``a/b`` < ``a-c``), not by string.
* ``subject``: ``[{"name": <final path component>, "digest": {"sha256": H}}]`` where H is SHA-256
  over the concatenated raw 32-byte file digests in ``resources`` order. For a single file it is
  therefore *not* the file's own SHA-256.
* ``serialization``: ``{"method": "files", "hash_type": "sha256", "allow_symlinks": bool,
  "ignore_paths": [...]}`` (``ignore_paths`` omitted when empty).
* Bundle: DSSE ``keyid`` is free (model_signing writes ``""``; we write our key id), but
  ``publicKey.hint`` must be model_signing's PEM fingerprint or its verifier refuses the bundle.

Files are hashed in 1 MiB chunks into a reused buffer; no file is ever read whole.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Final

from .bundle import sign_statement
from .errors import VerificationError
from .intoto import AUDIT_ENTRY_FIELD, AUDIT_SEQUENCE_FIELD, STATEMENT_TYPE, Statement, subject
from .keys import Signer, model_signing_hint

MODEL_SIGNING_PREDICATE_TYPE: Final = "https://model_signing/signature/v1.0"
GIT_IGNORED_PATHS: Final = (".git", ".gitattributes", ".github", ".gitignore")
CHUNK_SIZE: Final = 1 << 20

_SHA256_RE: Final = re.compile(r"[0-9a-f]{64}")


def sha256_file(path: Path, *, chunk_size: int = CHUNK_SIZE) -> str:
    """Hex SHA-256 of a file, streamed through one reused ``chunk_size`` buffer."""
    digest = hashlib.sha256()
    buffer = bytearray(chunk_size)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while count := handle.readinto(buffer):
            digest.update(view[:count])
    return digest.hexdigest()


@dataclass(frozen=True)
class Resource:
    """One file of a model: its relative POSIX name and SHA-256."""

    name: str
    digest: str
    algorithm: str = "sha256"


@dataclass(frozen=True)
class ModelManifest:
    """The model_signing ``files`` manifest of a model: what gets signed about it."""

    model_name: str
    resources: tuple[Resource, ...]
    allow_symlinks: bool = False
    ignore_paths: tuple[str, ...] = ()

    @property
    def root_digest(self) -> str:
        """SHA-256 over the raw resource digests in order: the statement's subject digest."""
        digest = hashlib.sha256()
        for resource in self.resources:
            digest.update(bytes.fromhex(resource.digest))
        return digest.hexdigest()

    def digests(self) -> dict[str, str]:
        return {r.name: r.digest for r in self.resources}

    def serialization(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "method": "files",
            "hash_type": "sha256",
            "allow_symlinks": self.allow_symlinks,
        }
        if self.ignore_paths:
            params["ignore_paths"] = list(self.ignore_paths)
        return params

    def statement(
        self, *, audit_sequence: int | None = None, audit_entry: str | None = None
    ) -> dict[str, Any]:
        """The in-toto statement model_signing would sign, plus the audit entry it was logged at
        (its id; ``audit_sequence`` is the older form).

        Extra predicate members are allowed: the v1.0 predicate says verifiers ignore them.
        """
        predicate: dict[str, Any] = {
            "serialization": self.serialization(),
            "resources": [
                {"name": r.name, "algorithm": r.algorithm, "digest": r.digest} for r in self.resources
            ],
        }
        if audit_sequence is not None:
            if isinstance(audit_sequence, bool) or audit_sequence < 0:
                raise ValueError("audit_sequence must be a non-negative integer")
            predicate[AUDIT_SEQUENCE_FIELD] = audit_sequence
        if audit_entry is not None:
            predicate[AUDIT_ENTRY_FIELD] = audit_entry
        return {
            "_type": STATEMENT_TYPE,
            "subject": [subject(self.model_name, self.root_digest)],
            "predicateType": MODEL_SIGNING_PREDICATE_TYPE,
            "predicate": predicate,
        }


def _normalize_ignore(path: str | os.PathLike[str]) -> PurePosixPath:
    pure = PurePosixPath(Path(path).as_posix())
    if pure.is_absolute() or ".." in pure.parts or not pure.parts:
        raise ValueError(f"ignore path {str(path)!r} must be a relative path inside the model")
    return pure


def _check_entry(path: Path, allow_symlinks: bool) -> os.stat_result:
    """model_signing's ``check_file_or_directory``: refuse symlinks (unless allowed) and oddities."""
    if not allow_symlinks and path.is_symlink():
        raise ValueError(f"refusing symlink {path} (allow_symlinks is off)")
    try:
        info = path.stat()
    except OSError as exc:
        raise ValueError(f"cannot use {path}: {exc.strerror or exc}") from exc
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        raise ValueError(f"cannot use {path}: neither a regular file nor a directory")
    return info


def _raise(error: OSError) -> None:
    raise ValueError(f"cannot read model directory: {error}") from error


def _model_files(model_path: Path, allow_symlinks: bool) -> list[tuple[PurePosixPath, Path]]:
    """(relative name, path) of every regular file the walk reaches, unsorted, nothing ignored."""
    if stat.S_ISREG(_check_entry(model_path, allow_symlinks).st_mode):
        return [(PurePosixPath("."), model_path)]
    found: list[tuple[PurePosixPath, Path]] = []
    for dirpath, dirnames, filenames in os.walk(model_path, onerror=_raise, followlinks=False):
        directory = Path(dirpath)
        for name in (*dirnames, *filenames):
            path = directory / name
            if stat.S_ISREG(_check_entry(path, allow_symlinks).st_mode):
                found.append((PurePosixPath(path.relative_to(model_path).as_posix()), path))
    return found


def _model_name(model_path: Path) -> str:
    name = model_path.name
    return name if name and name != ".." else os.path.basename(model_path.resolve())


def compute_manifest(
    model_path: str | os.PathLike[str],
    *,
    ignore_paths: Iterable[str | os.PathLike[str]] = (),
    ignore_git_paths: bool = True,
    allow_symlinks: bool = False,
    max_workers: int | None = None,
) -> ModelManifest:
    """Hash a model file or directory exactly as ``model_signing.hashing.Config().hash`` does.

    ``ignore_paths`` are relative to the model root; ``ignore_git_paths`` adds
    :data:`GIT_IGNORED_PATHS`. Raises ``ValueError`` for refused symlinks or special files.
    """
    root = Path(model_path)
    ignored = {_normalize_ignore(p) for p in ignore_paths}
    if ignore_git_paths:
        ignored.update(PurePosixPath(p) for p in GIT_IGNORED_PATHS)
    files = [
        (relative, path)
        for relative, path in _model_files(root, allow_symlinks)
        if not any(relative.parts[: len(ig.parts)] == ig.parts for ig in ignored)
    ]
    files.sort(key=lambda item: item[0].parts)
    workers = max_workers or min(8, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # hashlib releases the GIL on big updates
        digests = list(pool.map(sha256_file, (path for _, path in files)))
    return ModelManifest(
        model_name=_model_name(root),
        resources=tuple(
            Resource(name=str(rel), digest=d) for (rel, _), d in zip(files, digests, strict=True)
        ),
        allow_symlinks=allow_symlinks,
        ignore_paths=tuple(sorted(str(p) for p in ignored)),
    )


def attest_model(
    model_path: str | os.PathLike[str],
    signer: Signer,
    *,
    ignore_paths: Iterable[str | os.PathLike[str]] = (),
    ignore_git_paths: bool = True,
    allow_symlinks: bool = False,
    signature_path: str | os.PathLike[str] | None = None,
    audit_sequence: int | None = None,
) -> dict[str, Any]:
    """Hash a model and return a Sigstore bundle that ``model_signing verify key`` accepts.

    If ``signature_path`` (where the caller will write the bundle) lies inside the model
    directory it is ignored and recorded, as ``model_signing sign`` does for its own output.
    """
    root = Path(model_path)
    extra = [Path(p) for p in ignore_paths]
    if signature_path is not None and root.is_dir():
        signature = Path(signature_path).resolve()
        if signature.is_relative_to(root.resolve()):  # outside the model there is nothing to ignore
            extra.append(signature.relative_to(root.resolve()))
    manifest = compute_manifest(
        root, ignore_paths=extra, ignore_git_paths=ignore_git_paths, allow_symlinks=allow_symlinks
    )
    hint = model_signing_hint(signer.public_key())
    return sign_statement(manifest.statement(audit_sequence=audit_sequence), signer, hint=hint)


# --- verification side --------------------------------------------------------------------------


def _bad(message: str) -> VerificationError:
    return VerificationError(f"invalid model_signing predicate: {message}")


def manifest_from_statement(statement: Statement) -> ModelManifest:
    """Validate a model_signing v1.0 statement and return the manifest it signs.

    Checks what ``model_signing``'s verifier checks (one subject; the subject digest equals the
    hash of the listed resource digests) and refuses serializations we cannot re-compute
    (``shards``, non-SHA-256 hashes) rather than skipping the artifact check.
    """
    if statement.predicate_type != MODEL_SIGNING_PREDICATE_TYPE:
        raise _bad(f"predicateType {statement.predicate_type!r} is not {MODEL_SIGNING_PREDICATE_TYPE!r}")
    if len(statement.subjects) != 1:
        raise _bad(f"expected exactly one subject, got {len(statement.subjects)}")
    serialization = statement.predicate.get("serialization")
    if not isinstance(serialization, Mapping):
        raise _bad("missing 'serialization' object")
    if serialization.get("method") != "files":
        raise _bad(f"unsupported serialization method {serialization.get('method')!r} (only 'files')")
    if serialization.get("hash_type") != "sha256":
        raise _bad(f"unsupported hash_type {serialization.get('hash_type')!r} (only 'sha256')")
    allow_symlinks = serialization.get("allow_symlinks")
    if not isinstance(allow_symlinks, bool):
        raise _bad("serialization.allow_symlinks must be a boolean")
    ignore_paths = serialization.get("ignore_paths", [])
    if not isinstance(ignore_paths, list) or not all(isinstance(p, str) for p in ignore_paths):
        raise _bad("serialization.ignore_paths must be an array of strings")
    raw_resources = statement.predicate.get("resources")
    if not isinstance(raw_resources, list):
        raise _bad("missing 'resources' array")
    resources: list[Resource] = []
    for index, raw in enumerate(raw_resources):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"]:
            raise _bad(f"resource #{index} needs a non-empty name")
        if raw.get("algorithm") != "sha256":
            raise _bad(f"resource {raw['name']!r} algorithm {raw.get('algorithm')!r} is not 'sha256'")
        if not isinstance(raw.get("digest"), str) or not _SHA256_RE.fullmatch(raw["digest"]):
            raise _bad(f"resource {raw['name']!r} digest must be 64 lowercase hex characters")
        resources.append(Resource(name=raw["name"], digest=raw["digest"]))
    if len({r.name for r in resources}) != len(resources):
        raise _bad("duplicate resource names")
    manifest = ModelManifest(
        model_name=statement.subjects[0].name,
        resources=tuple(resources),
        allow_symlinks=allow_symlinks,
        ignore_paths=tuple(ignore_paths),
    )
    if manifest.root_digest != statement.subjects[0].sha256:
        raise _bad(
            f"subject digest {statement.subjects[0].sha256} does not match the resources "
            f"(they hash to {manifest.root_digest})"
        )
    return manifest


def check_model(expected: ModelManifest, model_path: Path) -> None:
    """Re-hash ``model_path`` with the signed serialization and compare file by file.

    Ignores exactly the recorded ``ignore_paths`` (nothing more), so an extra, missing or changed
    file is always reported; raises :class:`VerificationError` naming each difference.
    """
    if not os.path.lexists(model_path):
        raise VerificationError(f"artifact {model_path} does not exist")
    ignore = [p for p in expected.ignore_paths if _is_usable_ignore(p)]
    try:
        actual = compute_manifest(
            model_path, ignore_paths=ignore, ignore_git_paths=False, allow_symlinks=expected.allow_symlinks
        )
    except (ValueError, OSError) as exc:
        raise VerificationError(f"cannot hash artifact {model_path}: {exc}") from exc
    want, have = expected.digests(), actual.digests()
    problems: list[str] = []
    if extra := sorted(set(have) - set(want)):
        problems.append(f"unsigned files present: {', '.join(extra)}")
    if missing := sorted(set(want) - set(have)):
        problems.append(f"signed files missing: {', '.join(missing)}")
    problems.extend(
        f"digest mismatch for {name!r}: signed {want[name]}, found {have[name]}"
        for name in sorted(set(want) & set(have))
        if want[name] != have[name]
    )
    if problems:
        raise VerificationError(
            f"model at {model_path} does not match the signed manifest: " + "; ".join(problems)
        )


def _is_usable_ignore(path: str) -> bool:
    """Recorded ignore paths that cannot name anything inside the model are dropped, not fatal."""
    try:
        _normalize_ignore(path)
    except ValueError:
        return False
    return True
