"""GitHub Actions output: workflow-command annotations and a Markdown job summary.

Each failed check becomes an ``::error`` annotation on the run (a pass, one ``::notice``); the job
summary (the file named by ``$GITHUB_STEP_SUMMARY``) gets a table of the reasons with the decision id
and links. Escaping follows GitHub's workflow-command rules (as ``@actions/core`` implements them):
in the message ``%``, CR and LF become ``%25``, ``%0D``, ``%0A``; in a property value ``:`` and
``,`` also become ``%3A`` and ``%2C``. Since the server's text is untrusted, other control characters
are escaped as in text output, so a reason can neither start a workflow command of its own on a new
line nor rewrite the log. Markdown in the summary is escaped the same way: a reason cannot add a
link, an image or HTML to the run's page.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path
from typing import Final

from .errors import InputError
from .output import clean
from .reports import verdict_line
from .verdict import Failure, GateRequest, Outcome, show

SUMMARY_ENV: Final = "GITHUB_STEP_SUMMARY"
OUTPUT_ENV: Final = "GITHUB_OUTPUT"
TITLE: Final = "Deploy gate"

_MARKDOWN_SPECIAL: Final = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>:@])")


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR, LF percent-encoded; other controls as ``\\xNN``."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return clean(text)


def escape_property(text: str) -> str:
    """A workflow command's property value: as :func:`escape_data`, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, **properties: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def workflow_commands(request: GateRequest, outcome: Outcome) -> list[str]:
    """``::error`` per failed check (or for no decision), ``::notice`` on a pass."""
    if isinstance(outcome, Failure):
        return [command("error", outcome.message, title=f"{TITLE}: no decision")]
    if outcome.passed:
        message = f"{verdict_line(request, outcome)} (decision {outcome.decision_id})"
        return [command("notice", message, title=TITLE)]
    lines = []
    for reason in outcome.reasons:
        comparison = reason.comparison()
        message = reason.message + (f" ({comparison})" if comparison else "")
        lines.append(command("error", message, title=f"{TITLE}: {reason.code}"))
    if not outcome.reasons:
        lines.append(command("error", verdict_line(request, outcome), title=TITLE))
    return lines


def markdown(text: str) -> str:
    """Untrusted text as literal Markdown on one line: no markup, links, images, HTML or table breaks."""
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _link(label: str, url: str | None) -> str:
    if not url or urllib.parse.urlsplit(url).scheme not in {"http", "https"}:
        return f"{label}: -"
    safe = urllib.parse.quote(url, safe=":/?#[]@!$&'*+,;=%~-._")
    return f"[{label}]({safe.replace('(', '%28').replace(')', '%29')})"


def summary_markdown(request: GateRequest, outcome: Outcome) -> str:
    """The job summary section for this check."""
    subject = markdown(f"{request.subject} → {request.environment}")
    if isinstance(outcome, Failure):
        return (
            f"### {TITLE}: ERROR, {subject}\n\n"
            f"No decision: {markdown(outcome.message)}\n\n"
            f"Artifact {markdown(request.artifact_digest)}\n\n"
        )
    head = "PASS" if outcome.passed else f"FAIL ({len(outcome.reasons)})"
    lines = [f"### {TITLE}: {head}, {subject}", ""]
    if outcome.reasons:
        lines += ["| Check | Reason | Expected | Actual | Policy |", "| --- | --- | --- | --- | --- |"]
        for r in outcome.reasons:
            cells = [r.code, r.message, show(r.expected), show(r.actual), r.policy or "-"]
            lines.append("| " + " | ".join(markdown(cell) for cell in cells) + " |")
        lines.append("")
    ids = [
        f"Decision {markdown(outcome.decision_id)}",
        f"audit entry {markdown(outcome.audit_entry or '-')}",
        _link("attestation", outcome.attestation_url),
    ]
    if outcome.policy_version is not None:
        ids.append(f"policy version {outcome.policy_version}")
    lines += [" · ".join(ids), "", f"Artifact {markdown(request.artifact_digest)}", "", ""]
    return "\n".join(lines)


def append_summary(path: str, text: str) -> None:
    """Append to the step summary file (GitHub joins every step's summary into the job's)."""
    try:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"cannot write the job summary {path}: {exc.strerror or exc}") from exc
