"""YAML front matter of a Hugging Face README: split it off safely, and write it back.

The block is located with the same rule as the Hub and ``huggingface_hub`` (a ``---`` line, the
YAML, the next ``---`` line), so what we parse is what the Hub parses. Parsing uses
``yaml.safe_load`` only: YAML tags never construct objects or run code.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from governance.inventory.modelcards.errors import MAX_INPUT_BYTES, CardFormatError
from governance.inventory.modelcards.jsonsafe import check_size, to_json_value

# Same as huggingface_hub.repocard.REGEX_YAML_BLOCK ("exact same regex as in the Hub server").
_YAML_BLOCK = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(\r\n|\n|$))")
_OPENING = re.compile(r"^\s*---[ \t]*(?:\r\n|\r|\n|$)")
_EMPTY_BLOCK = re.compile(r"^\s*---(?:\r\n|\r|\n)---[ \t]*(?:\r\n|\r|\n|$)")
_DELIMITER_LINE = re.compile(r"^---[ \t]*$", re.MULTILINE)


def split_front_matter(text: str, *, max_bytes: int = MAX_INPUT_BYTES) -> tuple[dict[str, Any], str]:
    """(metadata, Markdown body). A README without front matter has empty metadata.

    Raises :class:`CardFormatError` for oversized text, an unclosed block, YAML that does not parse,
    a block that is not a mapping, or values JSON cannot hold.
    """
    check_size(text, "README", max_bytes)
    text = text.removeprefix("\ufeff")
    match = _YAML_BLOCK.search(text)
    if match is None:
        if empty := _EMPTY_BLOCK.match(text):
            return {}, text[empty.end() :]
        if _OPENING.match(text):
            raise CardFormatError("README front matter starts with '---' but has no closing '---' line.")
        return {}, text
    try:
        loaded = yaml.safe_load(match.group(2))
    except yaml.MarkedYAMLError as exc:
        where = f" at line {exc.problem_mark.line + 2}" if exc.problem_mark is not None else ""
        raise CardFormatError(f"README front matter is not valid YAML{where}: {exc.problem or exc}.") from exc
    except yaml.YAMLError as exc:
        raise CardFormatError(f"README front matter is not valid YAML: {exc}.") from exc
    except RecursionError as exc:
        raise CardFormatError("README front matter is nested too deeply.") from exc
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        kinds = {
            "list": "a list",
            "str": "a string",
            "int": "a number",
            "float": "a number",
            "bool": "a boolean",
        }
        kind = kinds.get(type(loaded).__name__, f"a {type(loaded).__name__}")
        raise CardFormatError(f"README front matter must be a YAML mapping of keys to values, not {kind}.")
    return to_json_value(loaded, max_bytes=max_bytes), text[match.end() :]


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks: readable, and their lines are indented, so no line of
    user text can ever be a bare ``---`` that ends the front matter early."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _represent_str)


def dump_front_matter(metadata: dict[str, Any]) -> str:
    """``---\\n<yaml>---\\n``. Strings that cannot be blocks are quoted on one line (huge width).

    The Hub's block pattern takes the line break before the closing ``---`` as part of the delimiter,
    so a multi-line string as the very last value would lose its final newline (and PyYAML would
    append a ``...`` end marker). Callers therefore end ``metadata`` with a one-line value; the
    Hugging Face export always ends with ``schema_version``.
    """
    body = yaml.dump(
        metadata, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=2**30
    )
    if _DELIMITER_LINE.search(body):  # impossible with the settings above; never emit a broken card
        raise RuntimeError("YAML front matter would contain a '---' line")
    return f"---\n{body}---\n"
