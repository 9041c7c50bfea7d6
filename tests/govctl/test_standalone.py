"""govctl is a standalone tool: standard library and ``cryptography`` only, no Django or web stack."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
from govctl.__main__ import build_parser
build_parser()
new = {name.split(".")[0] for name in set(sys.modules) - before}
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
