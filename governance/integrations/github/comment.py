"""The comment GitHub shows with our answer: every reason (code and message), or the passing decisions.

Pure: no Django imports. GitHub renders it as Markdown and keeps at most 1024 characters, so when every
reason in full does not fit, messages are shortened first (every code stays), and only then are the
last reasons summarised as "and N more" (the decision, linked below, has them all).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_CONTROL = re.compile(r"[\x00-\x1f\x7f\s]+")
_MESSAGE_CUTS = (None, 160, 80, 40, 0)


@dataclass(frozen=True)
class SubjectVerdict:
    """One evaluated subject: its label, the decision and where its signed record is, every reason."""

    label: str
    artifact_digest: str
    passed: bool
    decision_id: str = ""
    decision_url: str = ""
    reasons: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (code, message)


def _line(text: str) -> str:
    return _CONTROL.sub(" ", text).strip().replace("`", "'")


def _reason(prefix: str, code: str, message: str, cut: int | None) -> str:
    text = _line(message)
    if cut == 0 or not text:
        return f"- {prefix}`{_line(code)}`"
    if cut is not None and len(text) > cut:
        text = text[: cut - 1].rstrip() + "…"
    return f"- {prefix}`{_line(code)}`: {text}"


def _join(head: str, lines: Sequence[str], tail: Sequence[str]) -> str:
    parts = [head, "\n".join(lines)] if lines else [head]
    if tail:
        parts.append("\n".join(tail))
    return "\n\n".join(parts)


def _fit(head: str, items: Sequence[tuple[str, str, str]], tail: Sequence[str], limit: int) -> str:
    for cut in _MESSAGE_CUTS:
        text = _join(head, [_reason(*item, cut=cut) for item in items], tail)
        if len(text) <= limit:
            return text
    for keep in range(len(items) - 1, -1, -1):
        lines = [_reason(*item, cut=0) for item in items[:keep]]
        lines.append(f"- … and {len(items) - keep} more (every reason is in the decision below)")
        text = _join(head, lines, tail)
        if len(text) <= limit:
            return text
    return text[: limit - 1] + "…"


def _short(digest: str) -> str:
    return digest[:19] + "…" if len(digest) > 20 else digest


def protection_comment(
    *,
    approved: bool,
    environment: str,
    github_environment: str,
    subjects: Sequence[SubjectVerdict],
    general: Sequence[tuple[str, str]] = (),
    limit: int = 1024,
) -> str:
    """The Markdown comment for an approval (decisions and links) or a rejection (every reason)."""
    target = (
        f"`{environment}` (GitHub environment `{_line(github_environment)}`)"
        if environment
        else (f"GitHub environment `{_line(github_environment)}`")
    )
    tail = [
        f"Decision `{s.decision_id}` ({_line(s.label)}, {'pass' if s.passed else 'fail'}): {s.decision_url}"
        for s in subjects
        if s.decision_id
    ]
    if approved:
        head = f"**Approved** by ModelOps Governance: the deploy gate passed for {target}."
        items = [("", f"{_line(s.label)}", f"artifact {_short(s.artifact_digest)}") for s in subjects]
        lines = [f"- {label} passed ({detail})" for _, label, detail in items]
        text = _join(head, lines, tail)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    reasons: list[tuple[str, str, str]] = [("", code, message) for code, message in general]
    for s in subjects:
        reasons += [(f"{_line(s.label)}: ", code, message) for code, message in s.reasons]
    count = len(reasons)
    head = f"**Rejected** by ModelOps Governance for {target}: {count} reason{'s' if count != 1 else ''}."
    return _fit(head, reasons, tail, limit)
