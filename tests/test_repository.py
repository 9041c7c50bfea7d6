"""The suite is self-contained: it runs from a fresh clone with nothing beside it.

Test data lives in ``tests/data`` (with its source and licence) or comes from a pinned package that
``make install-test`` installs; no test reaches into a folder next to the repository, which a
user's clone does not have. ``.ci/run`` proves it by running the suite from a clone in a temporary
folder; this guard catches a new reader before CI does.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent

# Built from pieces so that this file, which the guard scans too, holds none of the paths it looks
# for. ``SIBLING`` is the name of the folder beside the repository.
SIBLING = "sha" + "red"
_UP = r"\.\."
_SEP = r"\s*[/\\,]\s*"
_QUOTE = r"""["']"""
SIBLING_PATH = re.compile(
    "|".join(
        (
            _UP + r"[/\\]+" + SIBLING,  # the string "../<sibling>"
            _QUOTE + _UP + _QUOTE + _SEP + _QUOTE + SIBLING + _QUOTE,  # Path(...) / ".." / "<sibling>"
            r"\.parent" + _SEP + _QUOTE + SIBLING + _QUOTE,  # root.parent / "<sibling>"
            SIBLING + r"[/\\]+data",  # "<sibling>/data"
            r"[/\\]work[/\\]+" + SIBLING,  # the absolute path on the development machine
        )
    )
)


def _text_files() -> list[Path]:
    return [p for p in sorted(TESTS_DIR.rglob("*")) if p.is_file() and "__pycache__" not in p.parts]


def test_pattern_finds_the_forms_it_is_meant_to_find() -> None:
    """The guard below is only as good as its pattern: check it on the forms tests used to use."""
    up = ".."
    for text in (
        f"{up}/{SIBLING}/data/merkle-vectors",
        f'Path(__file__).parents[2] / "{up}" / "{SIBLING}" / "data"',
        f'os.path.join(root, "{up}", "{SIBLING}")',
        f'REPO_ROOT.parent / "{SIBLING}"',
        f"{SIBLING}/data/model-card-toolkit",
        f"/work/{SIBLING}",
    ):
        assert SIBLING_PATH.search(text), text
    for text in ('tmp_path / "' + SIBLING + '"', "../x", "file://{root}/../outside.csv", SIBLING + "_task"):
        assert not SIBLING_PATH.search(text), text


def test_no_test_reads_the_folder_beside_the_repository() -> None:
    files = _text_files()
    assert TESTS_DIR / "data" / "merkle-vectors" / "SOURCE.md" in files  # the scan sees data files too
    offenders = []
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        offenders += [
            f"{path.relative_to(TESTS_DIR.parent)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()}"
            for m in SIBLING_PATH.finditer(text)
        ]
    assert offenders == [], "tests must not read outside the repository:\n" + "\n".join(offenders)
