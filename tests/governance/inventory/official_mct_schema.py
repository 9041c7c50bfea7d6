"""The Model Card Toolkit's published v0.0.2 schema, the oracle of the model-card tests.

It comes from the official ``model-card-toolkit`` wheel, which ``make install-test`` installs
pinned and with ``--no-deps`` (its TensorFlow stack is not wanted). The file is found through the
distribution's metadata and read as data; the package is never imported, and could not be without
those dependencies.

The newest release on PyPI (2.0.0) ships one broken reference, ``"#definitions/graphic"`` (no slash
after ``#``), fixed upstream after the release (tensorflow/model-card-toolkit#292, commit 74d7e6d).
Old jsonschema versions tolerated it; current ones raise on any document with a graphics collection.
We apply exactly that fix and pin both ends by hash: the file as the wheel ships it, and the result,
byte-identical to upstream's fixed file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from typing import Any

import pytest

DISTRIBUTION = "model-card-toolkit"  # the version is pinned in the Makefile's install-test recipe
SCHEMA_IN_WHEEL = "model_card_toolkit/schema/v0.0.2/model_card.schema.json"
PUBLISHED_SHA256 = "369dd9dbeff0980dd34fa8d14a6a17d7c63c4bf3874e414fdf886f47d72f46dd"  # 1.3.2 and 2.0.0
FIXED_SHA256 = "5fa8263ea5036c17ba4a8b93e3b34d07e11077b4e9c0c2048d3ba8897a48757c"  # upstream after #292
_BROKEN_REF = b'"#definitions/graphic"'
_FIXED_REF = b'"#/definitions/graphic"'


def official_schema_path() -> Path:
    """Where the installed wheel put the schema. Fails (never skips) when the wheel is missing."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{DISTRIBUTION} is not installed; run `make install-test`")
    return Path(str(distribution.locate_file(SCHEMA_IN_WHEEL)))


def load_official_schema() -> dict[str, Any]:
    """The toolkit's published schema with upstream's reference fix. A missing or different file is
    an error, never a skip: without it the exports would be checked against nothing but our own
    schema."""
    path = official_schema_path()
    assert path.is_file(), f"official MCT schema missing: {path}"
    published = path.read_bytes()
    installed = importlib.metadata.version(DISTRIBUTION)
    assert hashlib.sha256(published).hexdigest() == PUBLISHED_SHA256, (
        f"{path} (model-card-toolkit {installed}) is not the schema these tests were checked against"
    )
    fixed = published.replace(_BROKEN_REF, _FIXED_REF)
    assert hashlib.sha256(fixed).hexdigest() == FIXED_SHA256
    schema: dict[str, Any] = json.loads(fixed)
    return schema
