"""The human-readable Markdown body of a Hugging Face README, written from and read into a card.

Writing follows the section layout of the Hub's model-card template so a card reads as a normal
Hub card. Reading is best effort for third-party READMEs (ours carry the full structured card in the
front matter): the whole body becomes ``model_details.documentation`` and a few well-known headings
(uses, limitations, bias/risks, recommendations, factors, citation) are mapped onto MCT fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# --- writing ---------------------------------------------------------------------------------------


def _items(section: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = section.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _bullets(lines: list[str], title: str, entries: list[str]) -> None:
    if entries:
        lines += [title, "", *(f"- {e}" for e in entries), ""]


def _text(value: object) -> str:
    """One bullet's worth of text: continuation lines are indented so they stay in the bullet."""
    return str(value).strip().replace("\n", "\n  ")


def render_body(doc: Mapping[str, Any]) -> str:
    """The Markdown body for ``doc`` (sections with nothing to say are left out)."""
    details: Mapping[str, Any] = doc.get("model_details") or {}
    params: Mapping[str, Any] = doc.get("model_parameters") or {}
    considerations: Mapping[str, Any] = doc.get("considerations") or {}
    lines: list[str] = [f"# {details.get('name') or 'Model card'}", ""]
    if details.get("overview"):
        lines += [str(details["overview"]).strip(), ""]
    lines += _details(details, params)
    users = [_text(u.get("description", "")) for u in _items(considerations, "users")]
    uses = [_text(u.get("description", "")) for u in _items(considerations, "use_cases")]
    if users or uses:
        lines += ["## Uses", ""]
        _bullets(lines, "### Intended users", users)
        _bullets(lines, "### Direct Use", uses)
    limitations = [_text(x.get("description", "")) for x in _items(considerations, "limitations")]
    tradeoffs = [_text(x.get("description", "")) for x in _items(considerations, "tradeoffs")]
    risks = [_risk(r) for r in _items(considerations, "ethical_considerations")]
    if limitations or tradeoffs or risks:
        lines += ["## Bias, Risks, and Limitations", ""]
        _bullets(lines, "### Limitations", limitations)
        _bullets(lines, "### Tradeoffs", tradeoffs)
        _bullets(lines, "### Ethical considerations", risks)
    lines += _training_data(params)
    lines += _evaluation(doc.get("quantitative_analysis") or {})
    factors = doc.get("factors") or []
    _bullets(
        lines,
        "## Factors",
        [
            f"**{_text(f.get('name', ''))}**: {_text(f.get('description', ''))}"
            for f in factors
            if isinstance(f, dict)
        ],
    )
    if doc.get("caveats"):
        lines += ["## Caveats and Recommendations", "", str(doc["caveats"]).strip(), ""]
    lines += _citations(details)
    return "\n".join(lines).rstrip() + "\n"


def _risk(risk: Mapping[str, Any]) -> str:
    name = _text(risk.get("name", ""))
    if risk.get("mitigation_strategy"):
        return f"{name} — Mitigation: {_text(risk['mitigation_strategy'])}"
    return name


def _details(details: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    lines = ["## Model Details", ""]
    if details.get("documentation"):
        lines += ["### Model Description", "", str(details["documentation"]).strip(), ""]
    facts: list[str] = []
    version = details.get("version")
    if isinstance(version, dict) and version:
        text = str(version.get("name") or "unnamed")
        if version.get("date"):
            text += f" ({version['date']})"
        if version.get("diff"):
            text += f": {_text(version['diff'])}"
        facts.append(f"**Version:** {text}")
    owners = [
        f"{o.get('name', '')} ({o['contact']})" if o.get("contact") else str(o.get("name", ""))
        for o in _items(details, "owners")
    ]
    if owners:
        facts.append(f"**Owners:** {', '.join(owners)}")
    licenses = [
        str(lic.get("identifier") or _text(lic.get("custom_text", ""))) for lic in _items(details, "licenses")
    ]
    if licenses:
        facts.append(f"**License:** {'; '.join(licenses)}")
    for key, label in (
        ("model_architecture", "Model architecture"),
        ("input_format", "Input format"),
        ("output_format", "Output format"),
    ):
        if params.get(key):
            facts.append(f"**{label}:** {_text(params[key])}")
    for key, label in (("input_format_map", "Inputs"), ("output_format_map", "Outputs")):
        pairs = [f"`{kv.get('key', '')}`: {kv.get('value', '')}" for kv in _items(params, key)]
        if pairs:
            facts.append(f"**{label}:** {', '.join(pairs)}")
    if details.get("path"):
        facts.append(f"**Model path:** `{details['path']}`")
    lines += [f"- {fact}" for fact in facts] + ([""] if facts else [])
    refs = [f"<{r['reference']}>" for r in _items(details, "references") if r.get("reference")]
    _bullets(lines, "### References", refs)
    return lines


def _training_data(params: Mapping[str, Any]) -> list[str]:
    entries = []
    for data in _items(params, "data"):
        name = str(data.get("name") or "Unnamed dataset")
        text = f"[{name}]({data['link']})" if data.get("link") else name
        if data.get("description"):
            text += f": {_text(data['description'])}"
        sensitive = (data.get("sensitive") or {}).get("sensitive_data") or []
        if sensitive:
            text += f" (sensitive data: {', '.join(str(s) for s in sensitive)})"
        entries.append(text)
    lines: list[str] = []
    if entries:
        lines += ["## Training Details", ""]
        _bullets(lines, "### Training Data", entries)
    return lines


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _evaluation(analysis: Mapping[str, Any]) -> list[str]:
    metrics = _items(analysis, "performance_metrics")
    graphics = analysis.get("graphics") or {}
    if not metrics and not graphics:
        return []
    lines = ["## Evaluation", "", "### Results", ""]
    if metrics:
        lines += ["| Metric | Value | Slice | Confidence interval |", "| --- | --- | --- | --- |"]
        for m in metrics:
            ci = m.get("confidence_interval") or {}
            interval = f"[{ci.get('lower_bound', '')}, {ci.get('upper_bound', '')}]" if ci else ""
            row = (m.get("type", ""), m.get("value", ""), m.get("slice", "overall"), interval)
            lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
        lines.append("")
    if isinstance(graphics, dict) and (graphics.get("description") or graphics.get("collection")):
        names = [
            str(g.get("name", "unnamed")) for g in graphics.get("collection") or [] if isinstance(g, dict)
        ]
        text = str(graphics.get("description") or "").strip()
        if names:
            text += f" Graphics (kept in the card metadata): {', '.join(names)}."
        lines += [text.strip(), ""]
    return lines


def _citations(details: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for c in _items(details, "citations"):
        if c.get("citation"):
            style = str(c.get("style") or "").strip()
            info = style.lower() if re.fullmatch(r"[A-Za-z0-9_+-]+", style) else ""
            lines += [f"```{info}", str(c["citation"]).strip(), "```", ""]
    return ["## Citation", "", *lines] if lines else []


# --- reading ---------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)")
_BULLET = re.compile(r"^[ ]{0,3}(?:[-*+]|\d+[.)])[ \t]+(.*)$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_PLACEHOLDER = re.compile(
    r"^\W*(more information needed|needs more information|\[?todo\]?)\W*$", re.IGNORECASE
)
_FACTOR = re.compile(r"^\*{0,2}(?P<name>[^*:]+?)\*{0,2}\s*:\s*\*{0,2}\s*(?P<description>.+)$", re.DOTALL)
_MITIGATION = re.compile(r"\s*(?:—|--|-)?\s*\*{0,2}mitigation(?::\*{0,2}|\*{0,2}:)\s*", re.IGNORECASE)
_SUMMARY_TITLES = ("description", "summary", "overview", "model details")
_NOT_PROSE = ("|", "!", "<", "[![", ">", "```", "~~~")


@dataclass
class Section:
    level: int
    title: str
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return _COMMENT.sub("", "\n".join(self.lines)).strip()


def sections(body: str) -> list[Section]:
    """The body split at ATX headings (``#``..``######``), ignoring ``#`` lines inside code fences.
    Text before the first heading is a level-0 section with an empty title."""
    out = [Section(0, "")]
    fence: str | None = None
    for line in body.splitlines():
        fence_match = _FENCE.match(line)
        if fence_match and (fence is None or fence_match.group(1).startswith(fence)):
            fence = fence_match.group(1)[:3] if fence is None else None
        elif fence is None and (heading := _HEADING.match(line)):
            out.append(Section(len(heading.group(1)), heading.group(2).strip()))
            continue
        out[-1].lines.append(line)
    return out


def _entries(text: str) -> list[str]:
    """Top-level bullets as separate entries, else paragraphs; placeholders are skipped."""
    text = _COMMENT.sub("", text).strip()
    bullets: list[str] = []
    other: list[str] = []
    for line in text.splitlines():
        if m := _BULLET.match(line):
            bullets.append(m.group(1).strip())
        elif bullets and line.startswith((" ", "\t")) and line.strip():
            bullets[-1] += "\n" + line.strip()
        elif line.strip():
            other.append(line)
    entries = (
        bullets if bullets and not other else [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    )
    return [e for e in entries if not _PLACEHOLDER.match(e)]


def _first_paragraph(text: str) -> str:
    """The first prose lines of a section (before a blank line or a list), as one line: the
    one-sentence summary most cards open with. Badges, images, tables, HTML and code are skipped."""
    collected: list[str] = []
    in_code = False
    for line in _COMMENT.sub("", text).splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_code = not in_code
            if collected:
                break
            continue
        if in_code:
            continue
        if not stripped or _BULLET.match(line) or stripped.startswith(_NOT_PROSE):
            if collected:
                break
            continue
        collected.append(stripped)
    paragraph = " ".join(collected)
    return "" if _PLACEHOLDER.match(paragraph) else paragraph


def _code_blocks(text: str) -> Iterator[tuple[str, str]]:
    """(info string, content) of each fenced code block."""
    for m in re.finditer(r"^(`{3,}|~{3,})[ \t]*([^\n`]*)\n(.*?)^\1[ \t]*$", text, re.DOTALL | re.MULTILINE):
        yield m.group(2).strip(), m.group(3).strip()


#: Heading patterns -> the card field a section's content goes to; the first match wins, so a
#: "Bias, Risks, and Limitations" section (the Hub template) lands in limitations.
_SECTION_KINDS = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("limitations", r"\blimitations?\b|\bout[- ]of[- ]scope\b|\bmisuse\b"),
        ("ethical_considerations", r"\bbias(es)?\b|\brisks?\b|\bethic|\bfairness\b"),
        ("caveats", r"\brecommendations?\b|\bcaveats?\b"),
        ("tradeoffs", r"\btrade-?offs?\b"),
        ("users", r"\busers?\b"),
        ("use_cases", r"\buses\b|\b(direct|downstream|intended) uses?\b|\buse cases?\b"),
        ("factors", r"\bfactors?\b"),
        ("citations", r"\bcitations?\b|\bbibtex\b"),
    )
)


def _classify(title: str) -> str | None:
    return next((kind for kind, pattern in _SECTION_KINDS if pattern.search(title)), None)


def parse_body(body: str) -> dict[str, Any]:
    """Card fields recognisable in a README body: a partial :class:`CardDocument`.

    ``model_details`` gets the first H1 as ``name`` (callers prefer metadata), the first paragraph
    of the introduction (or of a description/summary section) as ``overview`` and the whole body as
    ``documentation``.
    """
    parts = sections(body)
    details: dict[str, Any] = {}
    considerations: dict[str, list[dict[str, str]]] = {}
    out: dict[str, Any] = {}
    for part in parts:
        if part.level == 1 and "name" not in details and part.title:
            details["name"] = part.title
        summary = part.level <= 1 or any(w in part.title.lower() for w in _SUMMARY_TITLES)
        if summary and "overview" not in details and (paragraph := _first_paragraph(part.text)):
            details["overview"] = paragraph
        kind = _classify(part.title) if part.level >= 2 else None  # an H1 is the model's name
        entries = _entries(part.text) if kind else []
        if kind in ("limitations", "tradeoffs", "users", "use_cases"):
            considerations.setdefault(kind, []).extend({"description": e} for e in entries)
        elif kind == "ethical_considerations":
            considerations.setdefault(kind, []).extend(_parse_risk(e) for e in entries)
        elif kind == "caveats" and entries:  # prose, kept as written (lists included)
            out["caveats"] = "\n\n".join(filter(None, [out.get("caveats", ""), part.text]))
        elif kind == "factors":
            out.setdefault("factors", []).extend(_parse_factor(e) for e in entries)
        elif kind == "citations":
            details.setdefault("citations", []).extend(_parse_citations(part.text))
    if body.strip():
        details["documentation"] = body.strip()
    if details:
        out["model_details"] = details
    if considerations := {k: v for k, v in considerations.items() if v}:
        out["considerations"] = considerations
    return out


def _parse_risk(entry: str) -> dict[str, str]:
    parts = _MITIGATION.split(entry, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return {"name": parts[0].strip(), "mitigation_strategy": parts[1].strip()}
    return {"name": entry.strip()}


def _parse_factor(entry: str) -> dict[str, str]:
    m = _FACTOR.match(entry)
    if m:
        return {"name": m.group("name").strip(), "description": m.group("description").strip()}
    return {"name": entry}


def _parse_citations(text: str) -> list[dict[str, str]]:
    blocks = list(_code_blocks(text))
    if not blocks:
        return [{"citation": e} for e in _entries(text) if not e.startswith("**")]
    out = []
    for info, content in blocks:
        if content and not _PLACEHOLDER.match(content):
            style = info or ("bibtex" if content.startswith("@") else "")
            out.append({"style": style, "citation": content} if style else {"citation": content})
    return out
