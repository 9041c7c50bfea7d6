"""Model card interchange: MCT v0.0.2 JSON and Hugging Face README export/import (pure, no DB).

Oracles: the published MCT schema validated with jsonschema directly, and
``huggingface_hub.ModelCard`` parsing our README text (constructed from the string;
``ModelCard.load`` would go to the network). The schema file is read from the pinned
``model-card-toolkit`` wheel by tests only (``official_mct_schema``), never copied: the service
validates with its own ``card_schema``, which ``test_modelcard_schema.py`` compares with this file.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml
from huggingface_hub import EvalResult, ModelCard, ModelCardData
from jsonschema import Draft7Validator

from governance.inventory.modelcards.document import (
    HF_NAMESPACE_KEY,
    CardDocument,
    normalize_card,
    validate_card,
    validate_mct_sections,
)
from governance.inventory.modelcards.errors import MAX_INPUT_BYTES
from governance.inventory.modelcards.frontmatter import split_front_matter
from governance.inventory.modelcards.huggingface import card_from_huggingface, card_to_huggingface
from governance.inventory.modelcards.mct import (
    CardFormatError,
    card_from_mct,
    card_from_mct_json,
    card_to_mct,
    normalize_mct,
)
from tests.governance.inventory.official_mct_schema import load_official_schema

RICH_CARD: CardDocument = {
    "schema_version": "0.0.2",
    "model_details": {
        "name": "credit-default-gbdt",
        "overview": "Predicts the probability that a consumer loan defaults within 12 months.",
        "documentation": "Gradient-boosted trees over bureau and application features.\n\n"
        "Scores are calibrated with isotonic regression.",
        "owners": [
            {"name": "Credit Risk ML", "contact": "credit-ml@example.com"},
            {"name": "Jane Doe", "contact": "jane@example.com"},
        ],
        "version": {"name": "2.1.0", "date": "2024-05-01", "diff": "Added bureau features."},
        "licenses": [{"identifier": "Apache-2.0"}, {"custom_text": "Internal use only."}],
        "references": [{"reference": "https://example.com/model-docs"}],
        "citations": [{"style": "bibtex", "citation": "@misc{cdg2024,\n  title={Credit default GBDT}\n}"}],
        "path": "s3://models/credit-default-gbdt/2.1.0",
    },
    "model_parameters": {
        "model_architecture": "LightGBM gradient-boosted decision trees",
        "data": [
            {
                "name": "loans-2019-2022",
                "link": "https://huggingface.co/datasets/acme/loans",
                "description": "Training data: 1.2M loans.",
                "sensitive": {"sensitive_data": ["age", "postcode"]},
            },
            {"name": "loans-2023-holdout", "description": "Evaluation data: 2023 holdout test set."},
        ],
        "input_format": "Tabular feature vector",
        "input_format_map": [{"key": "income", "value": "float, annual EUR"}],
        "output_format": "Probability of default",
        "output_format_map": [{"key": "pd", "value": "float in [0, 1]"}],
    },
    "quantitative_analysis": {
        "performance_metrics": [
            {
                "type": "ROC AUC",
                "value": "0.87",
                "confidence_interval": {"lower_bound": "0.86", "upper_bound": "0.88"},
            },
            {"type": "accuracy", "value": "0.91", "slice": "age>=60"},
            {"type": "calibration", "value": "well calibrated"},
        ],
        "graphics": {
            "description": "ROC curves per slice.",
            "collection": [{"name": "roc-overall", "image": "iVBORw0KGgo="}],
        },
    },
    "considerations": {
        "users": [{"description": "Credit analysts"}],
        "use_cases": [{"description": "Pre-screening consumer loan applications"}],
        "limitations": [{"description": "Not validated for business loans"}],
        "tradeoffs": [{"description": "Higher recall costs precision at low thresholds"}],
        "ethical_considerations": [
            {"name": "Age-correlated features", "mitigation_strategy": "Monthly fairness monitoring"}
        ],
    },
    "factors": [{"name": "age band", "description": "Performance is reported per age band."}],
    "caveats": "Recalibrate when the approval policy changes.",
    "hf_metadata": {
        "language": ["en"],
        "library_name": "lightgbm",
        "pipeline_tag": "tabular-classification",
        "base_model": "acme/credit-base",
        "tags": ["credit", "tabular"],
        "inference": False,
    },
}

THIRD_PARTY_README = """---
language: en
license: apache-2.0
library_name: transformers
pipeline_tag: text-classification
base_model: bert-base-uncased
tags:
- generated_from_trainer
- sentiment-analysis
datasets:
- imdb
metrics:
- accuracy
- f1
widget:
- text: I loved this movie, the acting was superb!
model-index:
- name: bert-base-uncased-imdb-sentiment
  results:
  - task:
      type: text-classification
      name: Text Classification
    dataset:
      name: IMDb
      type: imdb
      config: plain_text
      split: test
    metrics:
    - type: accuracy
      value: 0.9388
      name: Accuracy
    - type: f1
      value: 0.9391
      name: F1
---

<!-- This model card has been generated automatically and then completed by hand. -->

# bert-base-uncased-imdb-sentiment

This model is a fine-tuned version of [bert-base-uncased](https://huggingface.co/bert-base-uncased)
on the IMDb dataset.
It achieves the following results on the evaluation set:
- Loss: 0.2087
- Accuracy: 0.9388

## Model description

BERT base (uncased) fine-tuned for binary sentiment classification of English movie reviews.

## Uses

### Direct Use

Classifying English movie reviews as positive or negative.

### Out-of-Scope Use

- Reviews in languages other than English
- Medical or legal text

## Bias, Risks, and Limitations

- Sarcasm is frequently misclassified.
- Very long reviews are truncated to 512 tokens.

### Recommendations

Evaluate on your own domain before relying on the predictions.

## Ethical Considerations

- The IMDb reviews over-represent US English. Mitigation: evaluate on other varieties of English.

## How to use

```python
from transformers import pipeline
# Build a classifier
classifier = pipeline("text-classification", model="bert-base-uncased-imdb-sentiment")
```

## Training procedure

### Training hyperparameters

- learning_rate: 2e-05
- num_epochs: 3

## Citation

```bibtex
@article{devlin2018bert,
  title={BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding},
  author={Devlin, Jacob and Chang, Ming-Wei and Lee, Kenton and Toutanova, Kristina},
  year={2018}
}
```
"""


@pytest.fixture(scope="module")
def mct_oracle() -> Draft7Validator:
    """The published schema, validated with jsonschema directly (formats on; ``date`` is checked)."""
    schema = load_official_schema()
    return Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)


@pytest.fixture
def card() -> dict[str, Any]:
    return copy.deepcopy(dict(RICH_CARD))


def _hub_data(readme: str) -> Any:
    """``ModelCard(readme).data``, checked to be model-card metadata (typed Any: its keys are dynamic)."""
    data = ModelCard(readme).data
    assert isinstance(data, ModelCardData)
    return data


def _issue_paths(exc: pytest.ExceptionInfo[CardFormatError]) -> list[str]:
    return [i.path for i in exc.value.issues]


# --- validation ------------------------------------------------------------------------------------


def test_rich_card_is_valid(card: dict[str, Any]) -> None:
    assert validate_mct_sections(card) == []
    assert validate_card(card) == []


def test_empty_database_defaults_are_valid() -> None:
    """A new ModelCard row has {} sections, [] factors, "" caveats: nothing to complain about."""
    row = {
        "schema_version": "0.0.2",
        "model_details": {},
        "model_parameters": {},
        "quantitative_analysis": {},
        "considerations": {},
        "factors": [],
        "caveats": "",
        "hf_metadata": {},
    }
    assert validate_mct_sections(row) == []
    assert validate_card(row) == []


@pytest.mark.parametrize(
    ("section", "value", "path", "needle"),
    [
        ("model_details", {"licenses": [{}]}, "model_details.licenses[0]", "exactly one of 'identifier' or"),
        (
            "model_details",
            {"licenses": [{"identifier": "MIT", "custom_text": "x"}]},
            "model_details.licenses[0]",
            "exactly one",
        ),
        ("model_details", {"version": {"date": "May 2024"}}, "model_details.version.date", "valid date"),
        ("model_details", {"version": {"date": "2024-02-30"}}, "model_details.version.date", "valid date"),
        ("model_details", {"owners": [{"name": 7}]}, "model_details.owners[0].name", "Expected string"),
        (
            "model_details",
            {"references": [{"reference": "see the wiki"}]},
            "model_details.references[0].reference",
            "valid uri",
        ),
        (
            "model_parameters",
            {"data": [{"name": "x", "link": "not a link"}]},
            "model_parameters.data[0].link",
            "uri",
        ),
        (
            "model_parameters",
            {"data": [{"sensitive": {"sensitive_data": ["ok", 3]}}]},
            "model_parameters.data[0].sensitive.sensitive_data[1]",
            "Expected string",
        ),
        (
            "quantitative_analysis",
            {"performance_metrics": [{"type": "auc", "value": "0.9"}, {"type": "acc", "value": 0.9}]},
            "quantitative_analysis.performance_metrics[1].value",
            "Expected string, got number",
        ),
        (
            "quantitative_analysis",
            {"graphics": {"collection": [{"name": "roc", "image": 42}]}},
            "quantitative_analysis.graphics.collection[0].image",
            "Expected string",
        ),
        ("considerations", [{"description": "x"}], "considerations", "Expected object, got array"),
        (
            "considerations",
            {"ethical_considerations": [{"name": "bias", "mitigation_strategy": ["a"]}]},
            "considerations.ethical_considerations[0].mitigation_strategy",
            "Expected string",
        ),
    ],
)
def test_invalid_sections_report_field_paths(section: str, value: Any, path: str, needle: str) -> None:
    issues = validate_mct_sections({section: value})
    assert [i.path for i in issues] == [path]
    assert needle in issues[0].message


def test_validate_mct_sections_ignores_our_own_fields() -> None:
    """The service validates whole rows; factors/caveats/hf_metadata are not MCT's business."""
    assert (
        validate_mct_sections({"factors": "junk", "caveats": 3, "hf_metadata": [], "schema_version": 1}) == []
    )


def test_validate_card_reports_what_export_would_lose_or_shadow(card: dict[str, Any]) -> None:
    card["model_details"]["licence"] = "MIT"  # typo: MCT export would silently drop it
    card["factors"].append({"description": "no name"})
    card["caveats"] = ["not", "text"]
    card["hf_metadata"]["license"] = "mit"  # derived from model_details.licenses on export
    card["notes"] = "?"
    paths = sorted(i.path for i in validate_card(card))
    assert paths == ["caveats", "factors[1]", "hf_metadata.license", "model_details.licence", "notes"]


# --- MCT JSON ---------------------------------------------------------------------------------------


def test_rich_card_exports_schema_valid_mct(card: dict[str, Any], mct_oracle: Draft7Validator) -> None:
    out = card_to_mct(card)
    assert list(mct_oracle.iter_errors(out)) == []
    assert set(out) == {
        "schema_version",
        "model_details",
        "model_parameters",
        "quantitative_analysis",
        "considerations",
    }
    assert out["schema_version"] == "0.0.2"
    assert out["model_details"] == card["model_details"]
    assert out["quantitative_analysis"]["performance_metrics"][0]["confidence_interval"] == {
        "lower_bound": "0.86",
        "upper_bound": "0.88",
    }
    json.dumps(out)  # plain JSON


def test_mct_export_keeps_only_schema_fields_and_drops_empty_sections(mct_oracle: Draft7Validator) -> None:
    row = {
        "schema_version": "0.0.2",
        "model_details": {
            "name": "m",
            "overview": "",
            "owners": [{}],
            "internal_ticket": "OPS-1",
            "version": {},
        },
        "model_parameters": {},
        "quantitative_analysis": {"performance_metrics": []},
        "considerations": {"users": [{"description": ""}]},
        "factors": [{"name": "f"}],
        "caveats": "c",
        "hf_metadata": {"pipeline_tag": "x"},
    }
    out = card_to_mct(row)
    assert out == {"schema_version": "0.0.2", "model_details": {"name": "m"}}
    assert list(mct_oracle.iter_errors(out)) == []
    assert card_to_mct({}) == {"schema_version": "0.0.2"}


def test_mct_export_refuses_to_emit_invalid_json(card: dict[str, Any]) -> None:
    card["model_details"]["licenses"] = [{"identifier": "MIT", "custom_text": "also this"}]
    with pytest.raises(CardFormatError) as exc:
        card_to_mct(card)
    assert _issue_paths(exc) == ["model_details.licenses[0]"]


def test_mct_round_trip_is_lossless(card: dict[str, Any]) -> None:
    x = card_to_mct(card)
    imported = card_from_mct(copy.deepcopy(x))
    assert card_to_mct(imported) == x
    assert imported == {
        k: v for k, v in normalize_card(card).items() if k not in ("factors", "caveats", "hf_metadata")
    }


def test_mct_round_trip_of_toolkit_style_document(mct_oracle: Draft7Validator) -> None:
    """A document as the Model Card Toolkit writes it (empty values and extra nested keys normalise away)."""
    x = {
        "schema_version": "0.0.2",
        "model_details": {
            "name": "Fine-tuned MobileNetV2 Model for Cats vs. Dogs",
            "overview": "",
            "owners": [{"name": "Model Cards Team", "contact": "model-cards@google.com"}],
            "version": {"name": "v1.0", "date": "2020-08-01"},
            "licenses": [{"identifier": "Apache-2.0"}],
            "references": [{"reference": "https://www.tensorflow.org/guide/keras/transfer_learning"}],
            "citations": [],
            "debug_info": {"generated_by": "mct 1.0"},
        },
        "quantitative_analysis": {
            "performance_metrics": [{"type": "accuracy", "value": "0.98", "slice": "cat"}],
            "graphics": {"description": "", "collection": []},
        },
    }
    assert list(mct_oracle.iter_errors(x)) == []
    expected = normalize_mct(x)
    assert card_to_mct(card_from_mct(x)) == expected
    assert expected["model_details"] == {
        "name": "Fine-tuned MobileNetV2 Model for Cats vs. Dogs",
        "owners": [{"name": "Model Cards Team", "contact": "model-cards@google.com"}],
        "version": {"name": "v1.0", "date": "2020-08-01"},
        "licenses": [{"identifier": "Apache-2.0"}],
        "references": [{"reference": "https://www.tensorflow.org/guide/keras/transfer_learning"}],
    }
    assert "graphics" not in expected["quantitative_analysis"]


def test_mct_import_reports_every_issue_with_its_path() -> None:
    bad = {
        "schema_version": "0.0.2",
        "model_details": {"licenses": [{"identifier": "MIT"}, {}], "version": {"date": "yesterday"}},
        "considerations": {"limitations": "not a list"},
        "factors": [{"name": "age"}],  # ours, not MCT: the schema's top level allows nothing else
    }
    with pytest.raises(CardFormatError) as exc:
        card_from_mct(bad)
    assert _issue_paths(exc) == [
        "",
        "considerations.limitations",
        "model_details.licenses[1]",
        "model_details.version.date",
    ]
    assert "factors" in exc.value.issues[0].message
    assert isinstance(exc.value, ValueError)


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (["not", "an", "object"], "must be a JSON object"),
        ("{}", "must be a JSON object"),
        ({"schema_version": "0.0.1"}, "Unsupported MCT schema version '0.0.1'"),
        ({"schema_version": 2}, "Expected string"),
        ({"model_details": {"name": float("nan")}}, "not plain JSON"),
        ({"model_details": {"name": {1, 2}}}, "not plain JSON"),
        ({"model_details": {"documentation": "x" * (MAX_INPUT_BYTES + 1)}}, "the limit is 1048576 bytes"),
    ],
)
def test_mct_import_rejects_bad_input(data: Any, needle: str) -> None:
    with pytest.raises(CardFormatError) as exc:
        card_from_mct(data)
    assert needle in str(exc.value)


def test_mct_import_from_json_text(card: dict[str, Any]) -> None:
    text = json.dumps(card_to_mct(card))
    assert card_to_mct(card_from_mct_json(text)) == card_to_mct(card)
    assert card_from_mct_json(text.encode()) == card_from_mct_json(text)
    with pytest.raises(CardFormatError, match="NaN is not a JSON value"):
        card_from_mct_json('{"model_details": {"name": NaN}}')
    with pytest.raises(CardFormatError, match="not valid JSON"):
        card_from_mct_json('{"model_details": ')
    with pytest.raises(CardFormatError, match=r"nested too deeply|cannot be decoded"):
        card_from_mct_json("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CardFormatError, match="limit"):
        card_from_mct_json(" " * (MAX_INPUT_BYTES + 1))


# --- Hugging Face export --------------------------------------------------------------------------


def test_hf_export_parses_with_huggingface_hub(card: dict[str, Any]) -> None:
    text = card_to_huggingface(card)
    assert text.startswith("---\nlanguage:\n- en\nlicense: apache-2.0\n")
    data = _hub_data(text)
    assert data.license == "apache-2.0"
    assert data.datasets == ["acme/loans", "loans-2023-holdout"]
    assert data.tags == ["credit", "tabular"]
    assert data.language == ["en"]
    assert data.library_name == "lightgbm"
    assert data.pipeline_tag == "tabular-classification"
    assert data.base_model == "acme/credit-base"
    assert data["inference"] is False
    assert data.model_name == "credit-default-gbdt"
    assert data.eval_results == [
        EvalResult(
            task_type="tabular-classification",
            dataset_type="loans-2023-holdout",
            dataset_name="loans-2023-holdout",
            metric_type="roc_auc",
            metric_value=0.87,
            metric_name="ROC AUC",
        ),
        EvalResult(
            task_type="tabular-classification",
            dataset_type="loans-2023-holdout",
            dataset_name="loans-2023-holdout",
            metric_type="accuracy",
            metric_value=0.91,
            metric_name="accuracy (age>=60)",
        ),
        EvalResult(
            task_type="tabular-classification",
            dataset_type="loans-2023-holdout",
            dataset_name="loans-2023-holdout",
            metric_type="calibration",
            metric_value="well calibrated",
            metric_name="calibration",
        ),
    ]
    model_index = data.to_dict()["model-index"]
    assert model_index[0]["name"] == "credit-default-gbdt"
    assert model_index[0]["results"][0]["task"] == {"type": "tabular-classification"}
    assert model_index[0]["results"][0]["dataset"] == {
        "name": "loans-2023-holdout",
        "type": "loans-2023-holdout",
    }
    # The structured copy survives huggingface_hub's parsing as an unknown key.
    assert data[HF_NAMESPACE_KEY]["model_details"] == card["model_details"]
    assert "hf_metadata" not in data[HF_NAMESPACE_KEY]


def test_hf_export_body_has_the_usual_sections(card: dict[str, Any]) -> None:
    body = ModelCard(card_to_huggingface(card)).text
    headings = [line for line in body.splitlines() if line.startswith("#")]
    assert headings == [
        "# credit-default-gbdt",
        "## Model Details",
        "### Model Description",
        "### References",
        "## Uses",
        "### Intended users",
        "### Direct Use",
        "## Bias, Risks, and Limitations",
        "### Limitations",
        "### Tradeoffs",
        "### Ethical considerations",
        "## Training Details",
        "### Training Data",
        "## Evaluation",
        "### Results",
        "## Factors",
        "## Caveats and Recommendations",
        "## Citation",
    ]
    assert "| ROC AUC | 0.87 | overall | [0.86, 0.88] |" in body
    assert "- **License:** Apache-2.0; Internal use only." in body
    assert "- Age-correlated features — Mitigation: Monthly fairness monitoring" in body
    assert "- **age band**: Performance is reported per age band." in body
    assert "```bibtex\n@misc{cdg2024," in body


def test_hf_export_of_custom_and_proprietary_licenses() -> None:
    custom = {"model_details": {"name": "m", "licenses": [{"custom_text": "Ask legal."}]}}
    assert _hub_data(card_to_huggingface(custom)).license == "other"
    proprietary = {"model_details": {"name": "m", "licenses": [{"identifier": "proprietary"}]}}
    assert _hub_data(card_to_huggingface(proprietary)).license == "other"
    minimal = _hub_data(card_to_huggingface({}))
    assert minimal.license is None
    assert minimal.eval_results is None
    assert minimal[HF_NAMESPACE_KEY] == {"schema_version": "0.0.2"}


def test_hf_export_refuses_hub_keys_in_hf_metadata_that_it_derives(card: dict[str, Any]) -> None:
    card["hf_metadata"]["datasets"] = ["imdb"]
    with pytest.raises(CardFormatError) as exc:
        card_to_huggingface(card)
    assert _issue_paths(exc) == ["hf_metadata.datasets"]


# --- Hugging Face round trips ---------------------------------------------------------------------


def test_hf_round_trip_is_lossless(card: dict[str, Any]) -> None:
    text = card_to_huggingface(card)
    assert card_from_huggingface(text) == normalize_card(card) == card
    assert card_to_huggingface(card_from_huggingface(text)) == text


TRICKY_STRINGS = [
    "yes",
    "null",
    "~",
    "2024-05-01",
    "0.10",
    "1e3",
    "---",
    "...",
    "a\n---\nb",
    "a\n...\nb",
    "\n---\n",
    "trailing space \nsecond line",
    "ends with newlines\n\n",
    "  indented first line\nsecond",
    "tab\there",
    "# not a comment",
    "key: value",
    "- not a list",
    "'single' \"double\"",
    "unicode ✓ 中文 é",
    "windows\r\nline",
    "line\u2028separator",
    "nul-adjacent \x07 bell",
    "@bibtex{x}",
    "!!python/object:os.system",
    "&anchor *alias",
]


@pytest.mark.parametrize("text", TRICKY_STRINGS)
def test_hf_round_trip_survives_yaml_edge_cases(text: str) -> None:
    doc = {
        "model_details": {"name": "m", "documentation": text, "citations": [{"citation": text}]},
        "considerations": {"limitations": [{"description": text}]},
        "caveats": text,
        "hf_metadata": {"note": text, "tags": [text]},
    }
    readme = card_to_huggingface(doc)
    assert card_from_huggingface(readme) == normalize_card(doc)
    hub = _hub_data(readme)  # the Hub's parser finds the same front matter
    assert hub["note"] == text
    assert hub[HF_NAMESPACE_KEY]["caveats"] == text


def test_hf_round_trip_of_metadata_values(card: dict[str, Any]) -> None:
    card["hf_metadata"].update(
        {
            "widget": [{"text": "hello", "example_title": "greeting"}],
            "co2_eq_emissions": {"emissions": 12.5, "source": "codecarbon"},
            "model_name": "custom-display-name",
            "thumbnail": None,
            "license_link": "LICENSE.md",
        }
    )
    assert card_from_huggingface(card_to_huggingface(card)) == card


def test_hf_import_normalises_yaml_dates_in_the_structured_key(card: dict[str, Any]) -> None:
    """Someone edits the README on the Hub and writes the date unquoted: YAML reads a date."""
    text = card_to_huggingface(card).replace("date: '2024-05-01'", "date: 2024-05-01")
    text = text.replace("---\nlanguage:", "---\nlast_reviewed: 2024-06-01 10:30:00\nlanguage:", 1)
    assert "date: 2024-05-01\n" in text
    doc = card_from_huggingface(text)
    assert doc["model_details"]["version"]["date"] == "2024-05-01"
    assert doc["hf_metadata"]["last_reviewed"] == "2024-06-01T10:30:00"


def test_hf_import_validates_the_structured_key(card: dict[str, Any]) -> None:
    meta, body = split_front_matter(card_to_huggingface(card))
    meta[HF_NAMESPACE_KEY]["model_details"]["licenses"] = [{"identifier": "MIT", "custom_text": "and this"}]
    meta[HF_NAMESPACE_KEY]["considerations"]["users"] = "everyone"
    text = "---\n" + yaml.safe_dump(meta) + "---\n" + body
    with pytest.raises(CardFormatError) as exc:
        card_from_huggingface(text)
    assert _issue_paths(exc) == ["model_details.licenses[0]", "considerations.users"]

    meta[HF_NAMESPACE_KEY] = ["not", "a", "mapping"]
    with pytest.raises(CardFormatError) as exc:
        card_from_huggingface("---\n" + yaml.safe_dump(meta) + "---\n" + body)
    assert _issue_paths(exc) == [HF_NAMESPACE_KEY]

    meta[HF_NAMESPACE_KEY] = {"hf_metadata": {"x": 1}, "model_details": {}}
    with pytest.raises(CardFormatError) as exc:
        card_from_huggingface("---\n" + yaml.safe_dump(meta) + "---\n" + body)
    assert _issue_paths(exc) == [f"{HF_NAMESPACE_KEY}.hf_metadata"]


def test_hf_fallback_reads_our_own_export_without_the_structured_key(card: dict[str, Any]) -> None:
    """If the namespaced key is stripped (e.g. by a Hub tool), the standard keys and body still
    give a sensible card."""
    meta, body = split_front_matter(card_to_huggingface(card))
    del meta[HF_NAMESPACE_KEY]
    doc = card_from_huggingface("---\n" + yaml.safe_dump(meta, sort_keys=False) + "---\n" + body)
    details = doc["model_details"]
    assert details["name"] == "credit-default-gbdt"
    assert details["overview"] == card["model_details"]["overview"]
    assert details["licenses"] == [{"identifier": "Apache-2.0"}]
    assert details["citations"] == card["model_details"]["citations"]
    assert doc["model_parameters"]["data"] == [{"name": "acme/loans"}, {"name": "loans-2023-holdout"}]
    assert doc["quantitative_analysis"]["performance_metrics"] == [
        {"type": "roc_auc", "value": "0.87", "slice": "loans-2023-holdout"},
        {"type": "accuracy", "value": "0.91", "slice": "loans-2023-holdout"},
        {"type": "calibration", "value": "well calibrated", "slice": "loans-2023-holdout"},
    ]
    assert doc["considerations"] == card["considerations"]
    assert doc["factors"] == card["factors"]
    assert doc["caveats"] == card["caveats"]
    assert doc["hf_metadata"] == card["hf_metadata"]
    assert validate_card(doc) == []


# --- third-party README import --------------------------------------------------------------------


def test_third_party_readme_imports_with_sensible_fields(mct_oracle: Draft7Validator) -> None:
    assert _hub_data(THIRD_PARTY_README).license == "apache-2.0"  # the oracle agrees it is well formed
    doc = card_from_huggingface(THIRD_PARTY_README)
    details = doc["model_details"]
    assert details["name"] == "bert-base-uncased-imdb-sentiment"
    assert details["overview"] == (
        "This model is a fine-tuned version of [bert-base-uncased](https://huggingface.co/bert-base-uncased) "
        "on the IMDb dataset. It achieves the following results on the evaluation set:"
    )
    body = THIRD_PARTY_README.split("---\n", 2)[2]
    assert details["documentation"] == body.strip()
    assert details["licenses"] == [{"identifier": "Apache-2.0"}]
    assert details["citations"][0]["style"] == "bibtex"
    assert details["citations"][0]["citation"].startswith("@article{devlin2018bert,")
    assert doc["model_parameters"] == {"data": [{"name": "imdb"}]}
    assert doc["quantitative_analysis"]["performance_metrics"] == [
        {"type": "accuracy", "value": "0.9388", "slice": "IMDb (plain_text, test)"},
        {"type": "f1", "value": "0.9391", "slice": "IMDb (plain_text, test)"},
    ]
    assert doc["considerations"] == {
        "use_cases": [{"description": "Classifying English movie reviews as positive or negative."}],
        "limitations": [
            {"description": "Reviews in languages other than English"},
            {"description": "Medical or legal text"},
            {"description": "Sarcasm is frequently misclassified."},
            {"description": "Very long reviews are truncated to 512 tokens."},
        ],
        "ethical_considerations": [
            {
                "name": "The IMDb reviews over-represent US English.",
                "mitigation_strategy": "evaluate on other varieties of English.",
            }
        ],
    }
    assert doc["caveats"] == "Evaluate on your own domain before relying on the predictions."
    assert "factors" not in doc  # "# Build a classifier" inside the code block is not a heading
    assert doc["hf_metadata"] == {
        "language": "en",
        "library_name": "transformers",
        "pipeline_tag": "text-classification",
        "base_model": "bert-base-uncased",
        "tags": ["generated_from_trainer", "sentiment-analysis"],
        "metrics": ["accuracy", "f1"],
        "widget": [{"text": "I loved this movie, the acting was superb!"}],
    }
    assert validate_card(doc) == []
    assert list(mct_oracle.iter_errors(card_to_mct(doc))) == []
    # Once imported it is one of ours: it round-trips exactly from now on.
    assert card_from_huggingface(card_to_huggingface(doc)) == doc


def test_third_party_license_other_and_hub_template_placeholders() -> None:
    readme = """---
license: other
license_name: llama3
license_link: LICENSE
datasets: wikitext
---
# my-llm

## Bias, Risks, and Limitations

<!-- This section is meant to convey both technical and sociotechnical limitations. -->

[More Information Needed]

### Recommendations

[More Information Needed]

## Citation

**BibTeX:**

[More Information Needed]
"""
    doc = card_from_huggingface(readme)
    assert doc["model_details"]["name"] == "my-llm"
    assert doc["model_details"]["licenses"] == [{"custom_text": "llama3 <LICENSE>"}]
    assert "overview" not in doc["model_details"]
    assert doc["model_parameters"] == {"data": [{"name": "wikitext"}]}
    assert "considerations" not in doc and "caveats" not in doc
    assert "citations" not in doc["model_details"]
    assert doc["hf_metadata"] == {"license_name": "llama3", "license_link": "LICENSE"}
    assert _hub_data(card_to_huggingface(doc)).license == "other"


def test_readme_without_front_matter_is_just_a_body() -> None:
    doc = card_from_huggingface("# plain-model\n\nA model with no metadata at all.\n")
    assert doc == {
        "schema_version": "0.0.2",
        "model_details": {
            "name": "plain-model",
            "overview": "A model with no metadata at all.",
            "documentation": "# plain-model\n\nA model with no metadata at all.",
        },
    }
    assert card_from_huggingface("---\n---\n") == {"schema_version": "0.0.2"}
    assert card_from_huggingface("") == {"schema_version": "0.0.2"}


# --- rejecting bad or hostile README input ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("---\nlicense: [mit\n---\nbody", "not valid YAML at line 2"),
        ("---\nlicense: mit\n  bad: indent\n---\n", "not valid YAML"),
        ("---\n- license\n- mit\n---\n# body", "must be a YAML mapping of keys to values, not a list"),
        ("---\njust a string\n---\n", "not a string"),
        ("---\n42\n---\n", "not a number"),
        ("---\nlicense: mit\n\n# never closed\n", "no closing '---' line"),
        ("---\n1: one\n---\n", "Keys must be strings"),
        ("---\nscore: .nan\n---\n", "nan is not a JSON number"),
        ("---\nblob: !!binary aGVsbG8=\n---\n", "type bytes are not allowed"),
        ("---\nthings: !!set {a, b}\n---\n", "type set are not allowed"),
        ("---\nx: !!python/object/apply:os.system ['echo pwned']\n---\n", "not valid YAML"),
        ("---\nx: !custom_tag 1\n---\n", "not valid YAML"),
        ("---\na: &a [*a]\n---\n", "a: Nested deeper than 64 levels"),
        ("---\n" + "x: " + "[" * 2000 + "]" * 2000 + "\n---\n", "nested too deeply"),
    ],
)
def test_malformed_or_hostile_front_matter_is_rejected(text: str, needle: str) -> None:
    with pytest.raises(CardFormatError) as exc:
        card_from_huggingface(text)
    assert needle in str(exc.value)


def test_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    text = "---\n" + "\n".join(lines) + "\n---\n"
    assert len(text) < 2000  # ~9**10 strings once expanded
    with pytest.raises(CardFormatError, match="expands far beyond its size"):
        card_from_huggingface(text)


def test_alias_to_a_large_string_is_refused() -> None:
    """Few nodes, but each alias repeats 100 kB of text: the character budget catches it."""
    text = "---\nbig: &big " + "x" * 100_000 + "\nrefs: [" + ", ".join(["*big"] * 20) + "]\n---\n"
    with pytest.raises(CardFormatError, match="expands far beyond its size"):
        card_from_huggingface(text)


def test_harmless_aliases_are_fine() -> None:
    text = "---\nbase: &base {lr: 0.1}\nrun: *base\ntags: [a]\n---\n# m\n"
    assert card_from_huggingface(text)["hf_metadata"] == {
        "base": {"lr": 0.1},
        "run": {"lr": 0.1},
        "tags": ["a"],
    }


def test_oversized_and_non_text_input_is_rejected() -> None:
    with pytest.raises(CardFormatError, match=r"README is 1048577 bytes; the limit is 1048576 bytes"):
        card_from_huggingface("x" * (MAX_INPUT_BYTES + 1))
    multibyte = "é" * (MAX_INPUT_BYTES // 2 + 1)  # fewer characters than the limit, more bytes
    with pytest.raises(CardFormatError, match="limit"):
        card_from_huggingface(multibyte)
    assert card_from_huggingface("# ok\n", max_bytes=100)["model_details"]["name"] == "ok"
    with pytest.raises(CardFormatError, match=r"README\.md text"):
        card_from_huggingface(b"---\n---\n")
    with pytest.raises(CardFormatError, match=r"README\.md text"):
        card_from_huggingface({"license": "mit"})


def test_errors_carry_issues_for_field_level_api_errors() -> None:
    with pytest.raises(CardFormatError) as exc:
        card_from_huggingface("---\n- a\n---\n")
    assert len(exc.value.issues) == 1
    assert exc.value.issues[0].path == ""
    assert str(exc.value) == exc.value.issues[0].message
