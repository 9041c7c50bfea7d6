"""Our MCT v0.0.2 schema (``card_schema``) against the Model Card Toolkit's published file.

The service validates with a schema written in our own code, so it needs no file at runtime. These
tests are what keeps it honest: they read the official ``model_card.schema.json`` (v0.0.2) from the
pinned ``model-card-toolkit`` wheel (``official_mct_schema``: read as data, never imported; nothing
is copied into the repository) and compare in two ways.

* **Structure**: with ``$ref``s inlined and descriptions/titles dropped, the official schema and ours
  are the same tree: same fields, JSON types, ``format``s, license ``oneOf`` and closed top level.
* **Behaviour**, on a deterministic corpus (the valid fixtures plus well over a thousand mutations:
  every node replaced by values of every JSON type, objects and arrays swapped, every key removed,
  every missing known field added, unknown fields added at every level, format probes in every
  string). Three oracles are built from the official file:

  - ``toolkit``: plain ``Draft7Validator(official)``, i.e. what ``model_card_toolkit`` runs
    (``jsonschema.validate`` without a format checker, so formats are not checked);
  - ``jsonschema_formats``: with jsonschema's default format checker (checks ``date``; checks
    ``uri`` only when the optional ``rfc3987`` package is installed, which it is not here);
  - ``same_formats``: with *our* format checker, which isolates structure from format rules.

  Ours must report exactly the issues of ``same_formats`` (same paths and messages); must reject
  every document ``toolkit`` or ``jsonschema_formats`` rejects (soundness: we never accept what the
  toolkit would refuse); and may reject more only through ``format`` errors.

Deliberate differences (ours is stricter; both asserted in ``test_deliberate_differences``):

1. ``format: date`` (``model_details.version.date``) is enforced: a real calendar date written
   ``YYYY-MM-DD``. The toolkit accepts any string; jsonschema's own ``date`` check agrees with ours.
2. ``format: uri`` (``references[].reference``, ``data[].link``) is enforced: an absolute URI, i.e. a
   scheme, ``:``, then no whitespace or control characters. The toolkit accepts any string. This is
   a shape check, not a full RFC 3986 parser: IRIs such as ``https://例え.jp/`` are accepted, as the
   toolkit accepts them.

``contentEncoding``/``contentMediaType`` on graphic images are annotations in both (not validated).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator

from governance.inventory.modelcards import schema as mct_schema
from governance.inventory.modelcards.card_schema import MCT_DOCUMENT_SCHEMA, section_schema
from governance.inventory.modelcards.document import MCT_SECTIONS, validate_mct_sections
from governance.inventory.modelcards.errors import CardIssue
from governance.inventory.modelcards.mct import card_from_mct, card_to_mct
from tests.governance.inventory.official_mct_schema import load_official_schema, official_schema_path
from tests.governance.inventory.test_modelcard_interchange import RICH_CARD

REPO_ROOT = Path(__file__).resolve().parents[3]
SIBLING_DATA = "/".join(("shared", "data"))  # the old location of the schema, outside the repository
PACKAGE_DIR = REPO_ROOT / "governance" / "inventory" / "modelcards"

Json = Any
PathParts = tuple[str | int, ...]

# --- oracles --------------------------------------------------------------------------------------


@cache
def _official() -> dict[str, Any]:
    return load_official_schema()


@cache
def _oracle(kind: str) -> Draft7Validator:
    checker = {
        "toolkit": None,
        "jsonschema_formats": Draft7Validator.FORMAT_CHECKER,
        "same_formats": mct_schema.FORMAT_CHECKER,
    }[kind]
    return Draft7Validator(_official(), format_checker=checker)


def _issues(validator: Draft7Validator, doc: Json, prefix: PathParts = ()) -> list[CardIssue]:
    """Issues as the service reports them, sorted so validators' iteration order does not matter."""
    return sorted(mct_schema.issues_from(validator, doc, prefix), key=_place)


def _place(issue: CardIssue) -> tuple[str, str]:
    return issue.path, issue.message


def _kinds(validator: Draft7Validator, doc: Json) -> set[tuple[PathParts, str]]:
    """(instance path, keyword) of each error: comparable across validators whatever the messages."""
    return {(tuple(e.absolute_path), str(e.validator)) for e in validator.iter_errors(doc)}


def _inline(node: Json, definitions: dict[str, Any]) -> Json:
    """The official schema with every ``#/definitions/...`` reference replaced by its target."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert set(node) == {"$ref"}, node  # Draft 7 ignores $ref siblings; there are none
            return _inline(definitions[ref.removeprefix("#/definitions/")], definitions)
        return {k: _inline(v, definitions) for k, v in node.items() if k != "definitions"}
    if isinstance(node, list):
        return [_inline(v, definitions) for v in node]
    return node


_PROSE = {"description", "title", "$schema", "$id"}


def _shape(node: Json, *, in_properties: bool = False) -> Json:
    """The validating content of a schema: prose keywords dropped (field names are kept even when
    a field is called ``description`` or ``title``)."""
    if isinstance(node, dict):
        return {
            k: _shape(v, in_properties=k == "properties" and not in_properties)
            for k, v in node.items()
            if in_properties or k not in _PROSE
        }
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


@cache
def _official_inlined() -> dict[str, Any]:
    official = _official()
    inlined: dict[str, Any] = _inline(official, official["definitions"])
    return inlined


def _schema_paths(node: Json, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every field of a schema as a path of property names, ``[]`` standing for "any item"."""
    for name, child in node.get("properties", {}).items():
        yield (*path, name)
        yield from _schema_paths(child, (*path, name))
    if "items" in node:
        yield (*path, "[]")
        yield from _schema_paths(node["items"], (*path, "[]"))


def _sub_schema(parts: PathParts) -> dict[str, Any] | None:
    """The official (inlined) sub-schema describing the value at an instance path, if any."""
    node: dict[str, Any] | None = _official_inlined()
    for part in parts:
        if node is None:
            return None
        node = node.get("items") if isinstance(part, int) else node.get("properties", {}).get(part)
    return node


def _schema_path(parts: PathParts) -> tuple[str, ...]:
    return tuple("[]" if isinstance(p, int) else p for p in parts)


# --- the corpus -----------------------------------------------------------------------------------


def _full_document() -> dict[str, Any]:
    """A valid MCT document using every field of the format at least once."""
    doc = card_to_mct(RICH_CARD)
    doc["model_parameters"]["data"][1]["graphics"] = {
        "description": "Label balance.",
        "collection": [{"name": "labels", "image": "iVBORw0KGgo="}],
    }
    return doc


TOOLKIT_STYLE: dict[str, Any] = {
    "schema_version": "0.0.2",
    "model_details": {
        "name": "Fine-tuned MobileNetV2",
        "overview": "",
        "owners": [{"name": "Model Cards Team", "contact": "model-cards@google.com"}],
        "version": {"name": "v1.0", "date": "2020-08-01"},
        "licenses": [{"identifier": "Apache-2.0"}],
        "citations": [],
        "debug_info": {"generated_by": "mct 1.0"},
    },
    "quantitative_analysis": {
        "performance_metrics": [{"type": "accuracy", "value": "0.98", "slice": "cat"}],
        "graphics": {"description": "", "collection": []},
    },
}

#: One value of each JSON type (and empty/non-empty containers): swapped in at every node.
TYPE_SAMPLES: tuple[Json, ...] = ("text", 3, 2.5, True, None, [], ["text"], {}, {"text": "x"})

#: Put in every string leaf: valid and invalid dates and URIs, and strings that are neither.
FORMAT_PROBES: tuple[str, ...] = (
    "2024-05-01",
    "2024-02-30",
    "May 2024",
    "20240501",
    "https://example.com/a?b=c",
    "urn:isbn:0451450523",
    "see the wiki",
    "https://example.com\n",
    "",
)


def _walk(value: Json, path: PathParts = ()) -> Iterator[tuple[PathParts, Json]]:
    yield path, value
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _walk(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _walk(child, (*path, i))


def _replaced(doc: Json, path: PathParts, new: Json) -> Json:
    if not path:
        return copy.deepcopy(new)
    out = copy.deepcopy(doc)
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = copy.deepcopy(new)
    return out


def _mutations(doc: dict[str, Any]) -> Iterator[tuple[str, PathParts, Json]]:
    """(what was done, where, the mutated document), for every node of ``doc``."""
    for path, value in _walk(doc):
        for sample in TYPE_SAMPLES:
            if sample != value:
                yield f"set {sample!r}", path, _replaced(doc, path, sample)
        if isinstance(value, dict):
            yield "add unknown field", path, _replaced(doc, path, {**value, "x_extra": "v"})
            yield "object -> array", path, _replaced(doc, path, [value])
            for key in value:
                yield (
                    f"remove {key}",
                    path,
                    _replaced(doc, path, {k: v for k, v in value.items() if k != key}),
                )
            known = (_sub_schema(path) or {}).get("properties", {})
            for key in known:
                if key not in value:
                    yield f"add {key}", path, _replaced(doc, path, {**value, key: "text"})
        if isinstance(value, list) and value:
            yield "array -> object", path, _replaced(doc, path, value[0])
            yield "array of arrays", path, _replaced(doc, path, [value])
            yield "item with unknown field", path, _replaced(doc, path, [*value, {"x_extra": "v"}])
        if isinstance(value, str):
            for probe in FORMAT_PROBES:
                if probe != value:
                    yield f"string {probe!r}", path, _replaced(doc, path, probe)


#: Hand-written cases the generic mutations might not hit in this exact form.
EXTRA_CASES: tuple[Json, ...] = (
    {},
    {"schema_version": "0.0.2"},
    {"schema_version": 2},
    {"factors": [{"name": "age"}]},
    {"model_details": {"licenses": [{"identifier": "MIT", "custom_text": "also"}]}},
    {"model_details": {"licenses": [{"identifier": None}]}},
    {"model_details": {"licenses": [{"custom_text": 1}]}},
    {"model_details": {"licenses": [{"spdx": "MIT"}]}},
    {"model_details": {"licenses": [{"identifier": "MIT", "url": "https://x.example"}]}},
    {"model_details": {"licenses": {"identifier": "MIT"}}},
    {"model_details": {"version": "1.0"}},
    {"model_details": {"version": {"date": 20240501}}},
    {"model_parameters": {"data": [{"sensitive": ["pii"]}]}},
    {"model_parameters": {"data": [{"sensitive": {"sensitive_data": "pii"}}]}},
    {"quantitative_analysis": {"graphics": []}},
    {"quantitative_analysis": {"performance_metrics": [{"value": 0.9}]}},
    {"considerations": [{"description": "x"}]},
    ["not", "an", "object"],
    "text",
    None,
)


@cache
def corpus() -> tuple[tuple[str, Json], ...]:
    """Deterministic and de-duplicated: (label, document) pairs."""
    seeds: list[tuple[str, Json]] = [
        ("full", _full_document()),
        ("toolkit style", TOOLKIT_STYLE),
        ("rich card export", card_to_mct(RICH_CARD)),
    ]
    cases = list(seeds)
    for name, seed in seeds[:2]:
        cases += [(f"{name}: {what} at {list(path)}", doc) for what, path, doc in _mutations(seed)]
    cases += [(f"extra {i}", doc) for i, doc in enumerate(EXTRA_CASES)]
    seen: set[str] = set()
    unique = []
    for label, doc in cases:
        key = json.dumps(doc, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append((label, doc))
    return tuple(unique)


def _covered_schema_paths() -> set[tuple[str, ...]]:
    """Schema fields at which at least one corpus document holds a value."""
    covered: set[tuple[str, ...]] = set()
    for _, doc in corpus():
        covered.update(_schema_path(path) for path, _ in _walk(doc))
    return covered


# --- the file is required -------------------------------------------------------------------------


def test_official_schema_file_is_present() -> None:
    """Fails (never skips) without the pinned wheel: the comparisons need the real file."""
    schema_path = official_schema_path()
    assert schema_path.is_file(), f"official MCT schema missing: {schema_path.resolve()}"
    official = _official()
    assert "model_card_toolkit" not in sys.modules, "read as data; importing needs TensorFlow"
    assert official["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert tuple(official["properties"]) == ("schema_version", *MCT_SECTIONS)


# --- our schema on its own ------------------------------------------------------------------------


def test_our_schema_is_draft7_plain_json_and_self_contained() -> None:
    Draft7Validator.check_schema(MCT_DOCUMENT_SCHEMA)
    assert json.loads(json.dumps(MCT_DOCUMENT_SCHEMA)) == MCT_DOCUMENT_SCHEMA
    assert '"$ref"' not in json.dumps(MCT_DOCUMENT_SCHEMA)
    assert tuple(MCT_DOCUMENT_SCHEMA["properties"]) == ("schema_version", *MCT_SECTIONS)
    for section in MCT_SECTIONS:
        assert section_schema(section) is MCT_DOCUMENT_SCHEMA["properties"][section]
        assert mct_schema.section_validator(section).schema is section_schema(section)
    assert mct_schema.document_validator().schema is MCT_DOCUMENT_SCHEMA


def test_runtime_reads_no_schema_file() -> None:
    """Import, validate, export and import with any attempt to open the MCT schema file (wherever it
    lies), or anything in a ``shared`` data folder, turned into an error: what a deployment without
    the toolkit or the test data sees."""
    code = """
import os, sys
def guard(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        name = os.fsdecode(args[0])
        if "model_card.schema" in name or os.path.join("shared", "data") in name:
            raise RuntimeError(f"runtime tried to open {name}")
sys.addaudithook(guard)
from governance.inventory.modelcards.document import validate_card
from governance.inventory.modelcards.mct import card_from_mct, card_to_mct
doc = {"model_details": {"name": "m", "version": {"date": "2024-05-01"}, "licenses": [{}]}}
assert [i.path for i in validate_card(doc)] == ["model_details.licenses[0]"]
del doc["model_details"]["licenses"]
assert card_from_mct(card_to_mct(doc))["model_details"]["name"] == "m"
print("ok")
"""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "governance.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert not list(PACKAGE_DIR.glob("*.json")), "no schema data file belongs in the package"
    for source in PACKAGE_DIR.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert SIBLING_DATA not in text and '"shared"' not in text, source


# --- structure ------------------------------------------------------------------------------------


def test_structure_matches_the_official_schema() -> None:
    """Same tree once references are inlined and prose is dropped: every field name, JSON type,
    format, content annotation, the license oneOf and the closed top level."""
    assert _shape(MCT_DOCUMENT_SCHEMA) == _shape(_official_inlined())


def test_our_descriptions_are_our_own_and_short() -> None:
    """We describe fields in our own words (the wording is not part of the format)."""
    official_texts = {
        n["description"]
        for _, n in _walk(_official())
        if isinstance(n, dict) and isinstance(n.get("description"), str)
    }
    ours = [
        n["description"]
        for _, n in _walk(MCT_DOCUMENT_SCHEMA)
        if isinstance(n, dict) and isinstance(n.get("description"), str)
    ]
    assert ours and all(len(d) <= 80 for d in ours)
    assert not set(ours) & official_texts


# --- behaviour on the corpus ----------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """One corpus document as seen by our schema and the three oracles."""

    label: str
    doc: Json
    ours: list[CardIssue]  # what the service reports
    same_formats: list[CardIssue]  # the official schema with our format rules, reported the same way
    ours_errors: set[tuple[PathParts, str]]
    toolkit_errors: set[tuple[PathParts, str]]
    jsonschema_errors: set[tuple[PathParts, str]]


@cache
def verdicts() -> tuple[Verdict, ...]:
    """Computed once for the tests below (validating ~2000 documents five ways takes a few seconds)."""
    ours = mct_schema.document_validator()
    return tuple(
        Verdict(
            label=label,
            doc=doc,
            ours=_issues(ours, doc),
            same_formats=_issues(_oracle("same_formats"), doc),
            ours_errors=_kinds(ours, doc),
            toolkit_errors=_kinds(_oracle("toolkit"), doc),
            jsonschema_errors=_kinds(_oracle("jsonschema_formats"), doc),
        )
        for label, doc in corpus()
    )


def test_corpus_is_large_and_covers_every_field() -> None:
    cases = verdicts()
    assert len(cases) >= 1000
    official_fields = set(_schema_paths(_official_inlined()))
    assert official_fields - _covered_schema_paths() == set()
    rejected = [v for v in cases if v.toolkit_errors]
    assert len(rejected) >= 500  # mostly invalid documents ...
    assert len(cases) - len(rejected) >= 200  # ... but plenty the toolkit accepts as well


def test_same_issues_as_the_official_schema_with_our_format_rules() -> None:
    """Identical paths and messages, document by document: the structures are equivalent."""
    mismatches = [(v.label, v.ours, v.same_formats) for v in verdicts() if v.ours != v.same_formats]
    assert mismatches == []


def test_sound_we_reject_everything_the_toolkit_rejects() -> None:
    accepted_wrongly = [
        v.label for v in verdicts() if not v.ours_errors and (v.toolkit_errors or v.jsonschema_errors)
    ]
    assert accepted_wrongly == []


def _without_formats(errors: set[tuple[PathParts, str]]) -> set[tuple[PathParts, str]]:
    return {(path, kind) for path, kind in errors if kind != "format"}


def test_we_are_stricter_only_through_formats() -> None:
    """Leave format errors aside and ours and the toolkit report the same (path, keyword) pairs; the
    format errors that remain are on the documented ``date``/``uri`` fields only."""
    stricter: set[tuple[str, ...]] = set()
    for v in verdicts():
        assert _without_formats(v.ours_errors) == _without_formats(v.toolkit_errors), v.label
        stricter |= {_schema_path(path) for path, kind in v.ours_errors if kind == "format"}
    assert stricter == {
        ("model_details", "version", "date"),
        ("model_details", "references", "[]", "reference"),
        ("model_parameters", "data", "[]", "link"),
    }
    assert sum(1 for v in verdicts() if v.ours_errors and not v.toolkit_errors) >= 20


@cache
def _official_section(section: str) -> Draft7Validator:
    official = _official()
    sub = {**official["properties"][section], "definitions": official["definitions"]}
    return Draft7Validator(sub, format_checker=mct_schema.FORMAT_CHECKER)


def test_section_validation_matches_the_official_sub_schemas() -> None:
    """``validate_mct_sections`` (per section, as on every card write) agrees with the official
    section sub-schemas, issue for issue."""
    checked = 0
    for label, doc in corpus():
        if not isinstance(doc, dict):
            continue
        expected: list[CardIssue] = []
        for section in MCT_SECTIONS:
            if section in doc:
                expected += mct_schema.issues_from(_official_section(section), doc[section], (section,))
        assert sorted(validate_mct_sections(doc), key=_place) == sorted(expected, key=_place), label
        checked += 1
    assert checked >= 1000


# --- the documented differences -------------------------------------------------------------------


def _with_date(value: str) -> dict[str, Any]:
    return {"model_details": {"version": {"date": value}}}


def _with_uri(value: str) -> dict[str, Any]:
    return {
        "model_details": {"references": [{"reference": value}]},
        "model_parameters": {"data": [{"name": "d", "link": value}]},
    }


@pytest.mark.parametrize(
    ("doc", "ours_ok", "jsonschema_date_ok"),
    [
        # 1. dates: stricter than the toolkit (which checks no format), same as jsonschema's checker
        (_with_date("2024-05-01"), True, True),
        (_with_date("2024-02-29"), True, True),
        (_with_date("2023-02-29"), False, False),
        (_with_date("2024-02-30"), False, False),
        (_with_date("May 2024"), False, False),
        (_with_date("20240501"), False, False),
        (_with_date("2024-W18-3"), False, False),
        (_with_date("2024-05-01T10:00:00"), False, False),
        (_with_date("2024-05-01\n"), False, False),
        (_with_date("\uff12\uff10\uff12\uff14-05-01"), False, False),  # full-width digits
        # 2. URIs: stricter than the toolkit; an absolute-URI shape check, not full RFC 3986
        (_with_uri("https://example.com/model?v=2#card"), True, None),
        (_with_uri("urn:isbn:0451450523"), True, None),
        (_with_uri("mailto:team@example.com"), True, None),
        (_with_uri("s3://bucket/key"), True, None),
        (_with_uri("https://例え.jp/"), True, None),
        (_with_uri("see the wiki"), False, None),
        (_with_uri("/relative/path"), False, None),
        (_with_uri("example.com"), False, None),
        (_with_uri("https://exa mple.com"), False, None),
        (_with_uri("https://example.com\n"), False, None),
        (_with_uri(""), False, None),
    ],
)
def test_deliberate_differences(doc: dict[str, Any], ours_ok: bool, jsonschema_date_ok: bool | None) -> None:
    """The toolkit accepts every one of these (it checks no format); ours rejects the malformed
    ones, and only ever with a format message."""
    ours = _issues(mct_schema.document_validator(), doc)
    assert _kinds(_oracle("toolkit"), doc) == set()
    assert (ours == []) is ours_ok
    assert all(i.message.endswith(("is not a valid date.", "is not a valid uri.")) for i in ours)
    if jsonschema_date_ok is not None:  # jsonschema checks dates in every environment
        assert (not _kinds(_oracle("jsonschema_formats"), doc)) is jsonschema_date_ok
    if ours_ok:  # and what we accept imports and exports unchanged
        assert card_to_mct(card_from_mct(doc)) == {"schema_version": "0.0.2", **doc}
