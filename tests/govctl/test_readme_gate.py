"""README "Deploy gate from CI": the GitHub Actions and GitLab CI snippets, run as their runners would.

The snippets are read from README.md and parsed as YAML; every ``run``/``script`` command that calls
``govctl`` runs exactly as written, in bash, with the environment the runner would give it: the job's
``env``/``variables`` (``${{ vars.* }}``, ``${{ secrets.* }}`` and ``${{ steps.*.outputs.* }}``
resolved as GitHub does), the provider's own variables, ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY``
files, GitLab's JUnit and dotenv reports. The server is the loopback stand-in of the gate; the other
commands (``pip install``, ``./deploy.sh``) are the reader's and are not run. The plain ``curl``
example runs too, and its answer is compared with the documented one.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.govctl.gate_server import TOKEN, Fault, GateStandIn, gate_env
from tests.govctl.helpers import REPO
from tests.test_readme_examples import json_matches

SECTION = "## Deploy gate from CI"
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```\n", re.M | re.S)
EXPRESSION = re.compile(r"\$\{\{\s*(?P<expr>[^}]+?)\s*\}\}")


def section() -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else None]


def blocks(lang: str) -> list[str]:
    return [m.group("body") for m in FENCE.finditer(section()) if m.group("lang") == lang]


def yaml_snippet(marker: str) -> dict[str, Any]:
    [body] = [b for b in blocks("yaml") if marker in b]
    document = yaml.safe_load(body)
    assert isinstance(document, dict)
    return document


@pytest.fixture
def workspace(tmp_path: Path, gate: GateStandIn) -> Path:
    """A checkout with the model file the snippets hash; the stand-in knows its digest as approved."""
    (tmp_path / "model").mkdir()
    artifact = tmp_path / "model" / "model.onnx"
    artifact.write_bytes(b"weights" * 1000)
    gate.models["credit-scoring"]["1.0.0"] = "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
    return tmp_path


def govctl_bin(tmp_path: Path) -> Path:
    """Where ``govctl`` is on PATH: the installed console script, else an equivalent shim."""
    directory = tmp_path / "bin"
    directory.mkdir(exist_ok=True)
    installed = Path(sys.executable).parent / "govctl"
    script = directory / "govctl"
    if installed.exists():
        script.symlink_to(installed)
    else:
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m govctl "$@"\n')
        script.chmod(0o755)
    return directory


def shell(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``bash -eo pipefail`` (GitHub's default shell for ``run``; GitLab runs each line with ``-e``)."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def base_env(gate: GateStandIn, bin_dir: Path, **extra: str) -> dict[str, str]:
    env = gate_env(gate, token=None, **extra)
    env.pop("GOVERNANCE_URL")  # the snippets set these themselves
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    env["PYTHONPATH"] = str(REPO)
    return env


# --- GitHub Actions ------------------------------------------------------------------------------


def resolve(value: Any, context: dict[str, Any]) -> str:
    """A value with its ``${{ … }}`` expressions replaced; an expression the test cannot resolve fails."""

    def one(match: re.Match[str]) -> str:
        path = match.group("expr").split(".")
        node: Any = context
        for part in path:
            assert isinstance(node, dict) and part in node, (
                f"unresolved expression ${{{{ {match.group('expr')} }}}}"
            )
            node = node[part]
        return str(node)

    return EXPRESSION.sub(one, str(value))


def run_github_job(gate: GateStandIn, workspace: Path) -> dict[str, Any]:
    """Every ``govctl`` step of the README's job, in order, until one fails (as the runner stops)."""
    workflow = yaml_snippet("runs-on:")
    [job] = workflow["jobs"].values()
    context: dict[str, Any] = {
        "vars": {"GOVERNANCE_URL": gate.base_url},
        "secrets": {"GOVERNANCE_API_KEY": TOKEN},
        "steps": {},
    }
    runner = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/credit-models",
        "GITHUB_SHA": "5e" * 20,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "31337",
        "GITHUB_RUN_ATTEMPT": "1",
        "GITHUB_ACTOR": "octo",
    }
    env = base_env(gate, govctl_bin(workspace), **runner)
    env |= {name: resolve(value, context) for name, value in job["env"].items()}
    summary = workspace / "step-summary.md"
    ran: list[tuple[str, subprocess.CompletedProcess[str]]] = []
    for number, step in enumerate(job["steps"]):
        if "govctl" not in step.get("run", "") or step["run"].lstrip().startswith("pip "):
            continue
        outputs = workspace / f"output-{number}"
        outputs.touch()
        step_env = env | {name: resolve(value, context) for name, value in step.get("env", {}).items()}
        step_env |= {"GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
        result = shell(step["run"], workspace, step_env)
        ran.append((step.get("name", ""), result))
        if "id" in step:
            lines = outputs.read_text().splitlines()
            context["steps"][step["id"]] = {"outputs": dict(line.split("=", 1) for line in lines)}
        if result.returncode != 0:
            break
    return {"ran": ran, "summary": summary, "context": context}


def test_github_actions_snippet_passes_and_records_the_deployment(gate: GateStandIn, workspace: Path) -> None:
    job = run_github_job(gate, workspace)
    assert [name for name, _ in job["ran"]] == ["Deploy gate", "Record the deployment"]
    for name, result in job["ran"]:
        assert result.returncode == 0, (name, result.stdout, result.stderr)
    gate_step = job["ran"][0][1]
    assert gate_step.stdout.startswith("PASS: credit-scoring 1.0.0 may deploy to prod\n")
    assert "::notice title=Deploy gate::PASS" in gate_step.stdout
    decision_id = job["context"]["steps"]["gate"]["outputs"]["decision_id"]
    [deployment] = gate.deployments
    assert deployment["decision_id"] == decision_id and deployment["status"] == "deployed"
    check = gate.posts("/api/v1/gate/checks")[0].json()
    assert check["ci"]["run_url"] == "https://github.com/acme/credit-models/actions/runs/31337"
    assert job["summary"].read_text().startswith("### Deploy gate: PASS")


def test_github_actions_snippet_stops_on_a_fail(gate: GateStandIn, workspace: Path) -> None:
    gate.reasons[("credit-scoring", "1.0.0", "prod")] = [
        {
            "code": "no_approval",
            "message": "No approval covers prod.",
            "policy": None,
            "expected": "x",
            "actual": None,
        }
    ]
    job = run_github_job(gate, workspace)
    [(name, result)] = job["ran"]
    assert name == "Deploy gate" and result.returncode == 1
    assert "::error title=Deploy gate%3A no_approval::No approval covers prod." in result.stdout
    assert "| no\\_approval | No approval covers prod\\. |" in job["summary"].read_text()
    assert gate.deployments == []


# --- GitLab CI -----------------------------------------------------------------------------------


def run_gitlab_job(
    name: str, pipeline: dict[str, Any], env: dict[str, str], workspace: Path
) -> list[subprocess.CompletedProcess[str]]:
    job = pipeline[name]
    job_env = env | {
        k: str(v) for k, v in {**pipeline.get("variables", {}), **job.get("variables", {})}.items()
    }
    results = []
    for line in job["script"]:
        if "govctl" not in line or line.lstrip().startswith("pip "):
            continue
        results.append(shell(line, workspace, job_env))
        if results[-1].returncode != 0:
            break
    return results


def test_gitlab_ci_snippet_reports_junit_and_hands_the_decision_on(
    gate: GateStandIn, workspace: Path
) -> None:
    pipeline = yaml_snippet("stage:")
    runner = {
        "GITLAB_CI": "true",
        "CI_PROJECT_PATH": "risk/credit-models",
        "CI_COMMIT_SHA": "7a" * 20,
        "CI_JOB_URL": "https://gitlab.example.com/risk/credit-models/-/jobs/88",
        "CI_JOB_ID": "88",
        "GITLAB_USER_LOGIN": "gl-user",
        "GOVERNANCE_URL": gate.base_url,  # masked CI/CD variables of the project
        "GOVERNANCE_API_KEY": TOKEN,
    }
    env = base_env(gate, govctl_bin(workspace)) | runner
    [gate_result] = run_gitlab_job("deploy-gate", pipeline, env, workspace)
    assert gate_result.returncode == 0, gate_result.stderr
    reports = pipeline["deploy-gate"]["artifacts"]["reports"]
    junit = ET.parse(workspace / reports["junit"]).getroot()
    assert junit.tag == "testsuites"
    cases = junit.findall("testsuite/testcase")
    assert cases and all(case.find("failure") is None for case in cases)
    dotenv = dict(line.split("=", 1) for line in (workspace / reports["dotenv"]).read_text().splitlines())
    assert dotenv["decision"] == "pass"
    assert gate.posts("/api/v1/gate/checks")[0].json()["ci"]["run_url"].endswith("/-/jobs/88")

    assert pipeline["deploy-prod"]["needs"] == ["deploy-gate"]
    deploy_env = env | {"CI_JOB_ID": "89"} | dotenv  # GitLab passes the dotenv report to needing jobs
    [record] = run_gitlab_job("deploy-prod", pipeline, deploy_env, workspace)
    assert record.returncode == 0, record.stderr
    [deployment] = gate.deployments
    assert deployment["decision_id"] == dotenv["decision_id"]


def test_gitlab_ci_snippet_fails_the_job_with_a_failed_test_case(gate: GateStandIn, workspace: Path) -> None:
    (workspace / "model" / "model.onnx").write_bytes(b"another artifact")
    pipeline = yaml_snippet("stage:")
    env = base_env(gate, govctl_bin(workspace)) | {
        "GITLAB_CI": "true",
        "CI_JOB_ID": "90",
        "GOVERNANCE_URL": gate.base_url,
        "GOVERNANCE_API_KEY": TOKEN,
    }
    [result] = run_gitlab_job("deploy-gate", pipeline, env, workspace)
    assert result.returncode == 1
    junit = ET.parse(workspace / "gate-report.xml").getroot()
    failures = junit.findall("testsuite/testcase/failure")
    assert [f.get("type") for f in failures] == ["artifact_digest_mismatch"]


# --- curl ----------------------------------------------------------------------------------------


def test_curl_example(gate: GateStandIn, workspace: Path) -> None:
    # The first shell block is the curl example; the demo round trip after it runs in test_readme_examples.
    body = next(b for b in blocks("sh") if "curl -sS --fail-with-body" in b)
    documented = blocks("json")[0]
    env = base_env(gate, govctl_bin(workspace)) | {
        "GOVERNANCE_URL": gate.base_url,
        "GOVERNANCE_API_KEY": TOKEN,
    }
    gate.faults.append(Fault(status=503, retry_after="0"))
    result = shell(body, workspace, env)
    assert result.returncode == 0, result.stderr
    assert json_matches(json.loads(documented), json.loads(result.stdout)), result.stdout
    seen = gate.posts("/api/v1/gate/checks")
    assert len(seen) == 2  # curl --retry resent it after the 503, with the same key
    assert seen[0].headers["idempotency-key"] == seen[1].headers["idempotency-key"]
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_the_section_has_what_ci_users_need() -> None:
    text = section()
    assert len(blocks("yaml")) == 2 and any("curl -sS" in b for b in blocks("sh"))
    assert "--output github" in text and "reports:\n      junit:" in text
    assert "<!-- readme-test: skip " in text  # the shell block is marked for tests/test_readme_examples.py
