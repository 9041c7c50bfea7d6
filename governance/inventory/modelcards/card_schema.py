"""Our JSON Schema (Draft 7) for card documents in the Model Card Toolkit v0.0.2 format.

MCT v0.0.2 is a published interchange format, so we implement it the way any other reader or writer
would: this module states its structure (the four sections, their field names, JSON types, the
``date``/``uri`` formats and the one-license-kind rule) in our own code. The service therefore needs
no schema file at runtime: nothing to package, nothing to find on disk, nothing to go missing in a
deployment.

Nested objects are written inline instead of through ``$ref``/``definitions``: the toolkit's
definitions are only a way to reuse shapes, and inlining lets :mod:`.schema` prune and walk the
tree without resolving references. Every helper returns a fresh dict, so no two places share (and
could accidentally mutate) one node.

``tests/inventory/test_modelcard_schema.py`` checks this schema against the toolkit's published file,
structurally and on a generated corpus, so a drift from the format is caught by the tests.
"""

from __future__ import annotations

from typing import Any

JSONSchema = dict[str, Any]

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def _str(description: str, **extra: Any) -> JSONSchema:
    """A string field; ``extra`` carries ``format`` and content annotations."""
    return {"description": description, "type": "string", **extra}


def _date(description: str) -> JSONSchema:
    """A calendar date, ``YYYY-MM-DD`` (the ``date`` format; see :mod:`.schema` for how it is checked)."""
    return _str(description, format="date")


def _uri(description: str) -> JSONSchema:
    """An absolute URI (the ``uri`` format; see :mod:`.schema` for how it is checked)."""
    return _str(description, format="uri")


def _obj(props: dict[str, JSONSchema], description: str | None = None, **extra: Any) -> JSONSchema:
    """An object with the given fields, all optional. Fields the format does not name are allowed
    (the toolkit tolerates them inside sections); only the document's top level is closed."""
    node: JSONSchema = {"type": "object", "properties": props, **extra}
    return {"description": description, **node} if description else node


def _arr(item: JSONSchema, description: str) -> JSONSchema:
    """A list whose every item has the shape ``item``."""
    return {"description": description, "type": "array", "items": item}


def _described(description: str) -> JSONSchema:
    """The common ``{"description": ...}`` entry (users, use cases, limitations, tradeoffs)."""
    return _obj({"description": _str(description)})


def _graphics() -> JSONSchema:
    """A captioned set of named images, used both per dataset and for the quantitative analysis."""
    graphic = _obj(
        {
            "name": _str("Graphic name."),
            # Annotations only: Draft 7 validators do not decode content.
            "image": _str("Base64 PNG.", contentEncoding="base64", contentMediaType="image/png"),
        }
    )
    return _obj({"description": _str("Caption."), "collection": _arr(graphic, "The images.")})


def _license() -> JSONSchema:
    """An SPDX identifier (or ``proprietary``) *or* a custom text, never both and never neither.

    The ``oneOf`` keeps the exact shape ``[{"required": [...]}, ...]``: :func:`.schema._message`
    recognises it to say "Give exactly one of ..." instead of jsonschema's generic text.
    """
    return _obj(
        {
            "identifier": _str("SPDX license id, or 'proprietary'."),
            "custom_text": _str("Text of a non-standard license."),
        },
        oneOf=[{"required": ["identifier"]}, {"required": ["custom_text"]}],
    )


def _model_details() -> JSONSchema:
    return _obj(
        {
            "name": _str("Model name."),
            "overview": _str("One-line summary."),
            "documentation": _str("Full description and usage."),
            "owners": _arr(
                _obj({"name": _str("Owner name."), "contact": _str("How to reach the owner.")}),
                "People or teams responsible for the model.",
            ),
            "version": _obj(
                {
                    "name": _str("Version label."),
                    "date": _date("Release date."),
                    "diff": _str("Changes since the previous version."),
                },
                "Which release this card describes.",
            ),
            "licenses": _arr(_license(), "Terms of use."),
            "references": _arr(_obj({"reference": _uri("Link.")}), "Further reading."),
            "citations": _arr(
                _obj({"style": _str("Citation style, e.g. bibtex."), "citation": _str("The citation.")}),
                "How to cite the model.",
            ),
            "path": _str("Where the model artifact is stored."),
        },
        "Identity, ownership and licensing.",
    )


def _model_parameters() -> JSONSchema:
    keyval = _obj({"key": _str("Name."), "value": _str("Format description.")})
    dataset = _obj(
        {
            "name": _str("Dataset name."),
            "link": _uri("Where to find it."),
            "sensitive": _obj({"sensitive_data": _arr(_str("One kind."), "Kinds of sensitive data held.")}),
            "graphics": _graphics(),
            "description": _str("Size, role (training/evaluation) and other notes."),
        }
    )
    return _obj(
        {
            "model_architecture": _str("Architecture."),
            "data": _arr(dataset, "Training and evaluation datasets."),
            "input_format": _str("Input format."),
            "input_format_map": _arr(keyval, "Input format, per field."),
            "output_format": _str("Output format."),
            "output_format_map": _arr(keyval, "Output format, per field."),
        },
        "How the model was built.",
    )


def _quantitative_analysis() -> JSONSchema:
    # Metric values and bounds are strings in MCT v0.0.2, so "0.87" and "well calibrated" both fit.
    metric = _obj(
        {
            "type": _str("Metric name."),
            "value": _str("Metric value."),
            "slice": _str("Data slice; absent means the whole evaluation set."),
            "confidence_interval": _obj(
                {"lower_bound": _str("Lower bound."), "upper_bound": _str("Upper bound.")},
                "Confidence interval of the value.",
            ),
        }
    )
    return _obj(
        {"performance_metrics": _arr(metric, "Reported metrics."), "graphics": _graphics()},
        "Measured performance.",
    )


def _considerations() -> JSONSchema:
    risk = _obj({"name": _str("The risk."), "mitigation_strategy": _str("How it is addressed.")})
    return _obj(
        {
            "users": _arr(_described("Who."), "Intended users."),
            "use_cases": _arr(_described("What for."), "Intended uses."),
            "limitations": _arr(_described("Known limitation."), "Technical limitations."),
            "tradeoffs": _arr(_described("Known tradeoff."), "Accuracy/performance tradeoffs."),
            "ethical_considerations": _arr(risk, "Ethical and environmental risks."),
        },
        "What to weigh before building on or applying the model.",
    )


def _document() -> JSONSchema:
    """A whole MCT document. Its top level is closed, as in the toolkit: keys such as ``factors``
    or ``hf_metadata`` are ours and have no place in an MCT file."""
    return {
        "$schema": DRAFT_07,
        "title": "Model card (MCT v0.0.2 sections)",
        **_obj(
            {
                "schema_version": _str("Format version; 0.0.2 here."),
                "model_details": _model_details(),
                "model_parameters": _model_parameters(),
                "quantitative_analysis": _quantitative_analysis(),
                "considerations": _considerations(),
            },
            additionalProperties=False,
        ),
    }


#: The schema of an MCT v0.0.2 document. Treat as read-only: validators are built from it once.
MCT_DOCUMENT_SCHEMA: JSONSchema = _document()


def section_schema(section: str) -> JSONSchema:
    """The sub-schema of one MCT section (``model_details`` ...). Self-contained: no references."""
    schema: JSONSchema = MCT_DOCUMENT_SCHEMA["properties"][section]
    return schema
