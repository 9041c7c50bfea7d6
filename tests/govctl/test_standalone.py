"""govctl is a standalone tool: standard library and ``cryptography`` only, no Django or web stack.

The gate and deploy commands are what a CI job installs with ``pip install`` (or runs with
``python -m govctl``): they are pinned here to import nothing beyond the standard library,
``cryptography`` and ``audit.pure``, and to run where nothing else is installed at all.
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.govctl.gate_server import GateStandIn, check_args, gate_env
from tests.govctl.helpers import REPO, cli_env

FORBIDDEN = {
    "django",
    "rest_framework",
    "rfc8785",
    "numpy",
    "pyarrow",
    "requests",
    "urllib3",
    "yaml",
    "jsonschema",
    "celery",
    "weasyprint",
    "model_signing",
    "sigstore",
}

CHECK_IMPORTS = """
import sys
before = set(sys.modules)
import govctl.__main__
import govctl.gate, govctl.deploy, govctl.api, govctl.ci, govctl.reports, govctl.github, govctl.verdict
from govctl.__main__ import build_parser
build_parser()
new = {name.split(".")[0] for name in set(sys.modules) - before}
audit_modules = {name for name in sys.modules if name.split(".")[0] == "audit"}
assert all(name == "audit" or name.startswith("audit.pure") for name in audit_modules), audit_modules
# _cffi_backend and _openssl are the extension modules cryptography's bindings register.
allowed = set(sys.stdlib_module_names) | {"cryptography", "_cffi_backend", "_openssl", "audit", "govctl"}
forbidden = FORBIDDEN
assert not new & forbidden, sorted(new & forbidden)
assert not new - allowed, sorted(new - allowed)
assert "audit.pure.canonical" not in sys.modules
print("ok")
"""


def test_import_pulls_in_only_stdlib_and_cryptography() -> None:
    code = CHECK_IMPORTS.replace("FORBIDDEN", repr(FORBIDDEN))
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=cli_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_verify_log_run_stays_light(tmp_path: Path) -> None:
    """Running ``verify log`` (not just importing) loads nothing heavy either."""
    code = (
        "import sys\n"
        "from govctl.__main__ import main\n"
        "status = main(sys.argv[1:])\n"
        f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "assert not loaded, loaded\n"
        "sys.exit(status)\n"
    )
    (tmp_path / "e.jsonl").write_text("")
    (tmp_path / "c.json").write_text("[]")
    (tmp_path / "k.json").write_text('{"keys": [{"kty": "EC"}]}')
    args = [
        "verify",
        "log",
        "--events",
        "e.jsonl",
        "--checkpoints",
        "c.json",
        "--keys",
        "k.json",
        "--origin",
        "o",
    ]
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=tmp_path,
        env=cli_env(PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr  # the JWKS is unusable: an input error, not a crash
    assert "not a usable key set" in result.stderr


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).parent / "govctl"
    if not script.exists():
        script_path = shutil.which("govctl")
        if script_path is None:
            pytest.skip("the govctl console script is not installed (pip install -e .)")
        script = Path(script_path)
    result = subprocess.run(
        [str(script), "--help"], env=cli_env(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and "verify" in result.stdout


LIGHT_RUN = (
    "import sys\n"
    "from govctl.__main__ import main\n"
    "status = main(sys.argv[1:])\n"
    f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
    "assert not loaded, loaded\n"
    "sys.exit(status)\n"
)


def test_gate_and_deploy_runs_stay_light(gate: GateStandIn, tmp_path: Path) -> None:
    """Running ``gate check`` in every output format and ``deploy record`` loads nothing heavy."""
    env = gate_env(gate, PYTHONPATH=str(REPO))
    for output in ("text", "json", "github", "junit", "sarif"):
        result = subprocess.run(
            [sys.executable, "-c", LIGHT_RUN, *check_args(), "--output", output],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, (output, result.stderr)
    decision_id = next(iter(gate.decisions))
    deploy = ["deploy", "record", *check_args()[2:], "--decision-id", decision_id]
    result = subprocess.run(
        [sys.executable, "-c", LIGHT_RUN, *deploy],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def only_cryptography(target: Path) -> Path:
    """A directory holding cryptography and its own dependencies (cffi, pycparser), nothing else."""
    target.mkdir()
    for name in ("cryptography", "cffi", "pycparser"):
        try:
            files = importlib.metadata.distribution(name).files or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for top in {
            f.parts[0] for f in files if not f.parts[0].endswith((".dist-info", "__pycache__", ".."))
        }:
            source = Path(importlib.metadata.distribution(name).locate_file(top))
            if source.exists() and not (target / top).exists():
                (target / top).symlink_to(source)
    return target


def test_gate_check_runs_without_django_installed(gate: GateStandIn, tmp_path: Path) -> None:
    """``python -S`` (no site-packages) with only cryptography on the path: Django is not even there."""
    packages = only_cryptography(tmp_path / "site")
    env = gate_env(gate, PYTHONPATH=f"{REPO}:{packages}")
    probe = subprocess.run(
        [sys.executable, "-S", "-c", "import django"], cwd=tmp_path, env=env, capture_output=True, check=False
    )
    assert probe.returncode != 0  # the environment really lacks Django
    result = subprocess.run(
        [sys.executable, "-S", "-m", "govctl", *check_args(), "--output", "junit"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "<testsuite " in result.stdout
