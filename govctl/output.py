"""Rendering results as text for people or JSON for scripts (``--output text|json``).

Everything printed may come from untrusted input (subject names, error messages quoting a
tampered file), so text output escapes control characters: a crafted bundle must not be able to
rewrite the terminal or forge extra "OK" lines.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Final

OUTPUT_FORMATS: Final = ("text", "json")

_UNPRINTABLE: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: str) -> str:
    """One printable line: control characters (including newlines) become ``\\xNN`` escapes."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def print_json(document: Any) -> None:
    """Pretty JSON on stdout, ASCII-only so any terminal or pipe can carry it."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=True) + "\n")


def print_lines(lines: list[str]) -> None:
    """Text lines on stdout, each cleaned."""
    sys.stdout.write("".join(clean(line) + "\n" for line in lines))


def print_error(prefix: str, message: str) -> None:
    """The one-line failure message on stderr."""
    sys.stderr.write(f"{prefix}: {clean(message)}\n")
