"""Every shell example in README.md runs as written, against a live server that this test starts.

The server is what ``make run`` starts after seeding: ``migrate``, ``seed_demo`` and every process of
the Procfile (gunicorn, a Celery worker, beat), on a free loopback port given through ``WEB_BIND``, with
a throwaway SQLite file and the filesystem broker under ``tmp_path`` whatever ``DATABASE_URL`` says.

README.md marks every ``sh`` block with an HTML comment on the line before it:

* ``<!-- readme-test: NAME -->`` runs it. Blocks run in README order in one bash session
  (``set -euo pipefail``), so a variable one block sets (``KEY``) is there for the next.
* ``<!-- readme-test: NAME poll -->`` runs it again, twice a second, until its output matches the
  documented output (jobs run on the worker).
* ``<!-- readme-test: skip REASON -->`` does not run it; the reason says why (``make run`` itself).

A ``json`` or ``text`` block right after a run block is its documented output and is compared with what
the block printed: JSON structurally (the documented keys with their values; a string ending in ``...``
matches any string starting with what precedes it), text as a whole (``...`` matches anything,
newlines included). The examples run in a scratch directory laid out like a checkout (``.venv`` and
``manage.py`` link to the real ones, ``var/`` is the server's state directory), so paths such as
``var/demo/...`` work as written; the only rewrite is the README's ``http://127.0.0.1:8000`` to the
port the test chose. The whole run is bounded by ``README_EXAMPLES_TIME_LIMIT`` seconds (default 60).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_BASE = "http://127.0.0.1:8000"
TIME_LIMIT = float(os.environ.get("README_EXAMPLES_TIME_LIMIT", "60"))
"""Seconds for the live test from migrate to the last example (about 35 s on 2 busy cores)."""
POLL_SECONDS = 30

MARKER = re.compile(r"<!-- readme-test: (?P<spec>.+?) -->")
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```\n", re.M | re.S)
SEPARATOR = "\x1e"


@dataclass(frozen=True)
class Example:
    """One ``sh`` block of the README, how it is to be run, and its documented output if any."""

    name: str
    body: str
    line: int
    poll: bool = False
    skip: str = ""
    output_lang: str = ""
    output: str | None = None


def readme_examples(text: str) -> list[Example]:
    """Every ``sh`` block in order; a block without a marker is an error (an example nobody runs)."""
    examples: list[Example] = []
    fences = list(FENCE.finditer(text))
    for index, fence in enumerate(fences):
        if fence.group("lang") not in ("sh", "bash", "shell", "console"):
            continue
        line = text.count("\n", 0, fence.start()) + 1
        previous_line = text[: fence.start()].rstrip("\n").rpartition("\n")[2]
        marker = MARKER.fullmatch(previous_line)
        if marker is None:
            raise AssertionError(
                f"README.md:{line}: shell block without a <!-- readme-test: NAME --> (or skip) marker"
            )
        spec = marker.group("spec").split()
        output_lang, output = "", None
        following = fences[index + 1] if index + 1 < len(fences) else None
        if (
            following is not None
            and following.group("lang") in ("json", "text")
            and text[fence.end() : following.start()].strip() == ""
        ):
            output_lang, output = following.group("lang"), following.group("body")
        if spec[0] == "skip":
            examples.append(
                Example(name="skip", body=fence.group("body"), line=line, skip=" ".join(spec[1:]))
            )
        else:
            examples.append(
                Example(
                    name=spec[0],
                    body=fence.group("body"),
                    line=line,
                    poll="poll" in spec[1:],
                    output_lang=output_lang,
                    output=output,
                )
            )
    return examples


def text_pattern(documented: str) -> str:
    """A regex for documented text output: ``...`` matches anything, everything else literally."""
    return ".*?".join(re.escape(part) for part in documented.strip().split("..."))


def bash_pattern(documented: str) -> str:
    """The same match as :func:`text_pattern`, as a bash ``[[ == ]]`` pattern (quoted parts are literal)."""
    return "*".join(shlex.quote(part) for part in documented.strip().split("..."))


def json_matches(documented: Any, actual: Any) -> bool:
    """Every documented key with its value; a documented string ending in ``...`` is a prefix."""
    if isinstance(documented, dict):
        return isinstance(actual, dict) and all(
            key in actual and json_matches(value, actual[key]) for key, value in documented.items()
        )
    if isinstance(documented, list):
        return (
            isinstance(actual, list)
            and len(documented) == len(actual)
            and all(json_matches(d, a) for d, a in zip(documented, actual, strict=True))
        )
    if isinstance(documented, str) and documented.endswith("..."):
        return isinstance(actual, str) and actual.startswith(documented[:-3])
    return bool(documented == actual and type(documented) is type(actual))


def output_matches(example: Example, printed: str) -> bool:
    assert example.output is not None
    if example.output_lang == "json":
        try:
            actual = json.loads(printed)
        except json.JSONDecodeError:
            return False
        return json_matches(json.loads(example.output), actual)
    return re.fullmatch(text_pattern(example.output), printed.strip(), re.S) is not None


def script(examples: list[Example], base: str) -> str:
    """One bash session running every example in order, each output preceded by a separator line."""
    lines = ["set -euo pipefail", "shopt -s inherit_errexit"]
    for number, example in enumerate(examples):
        body = example.body.replace(README_BASE, base)
        lines.append(f"printf '{SEPARATOR}%s\\n' {number}")
        if example.poll:
            assert example.output is not None, (
                f"README.md:{example.line}: a poll block needs documented output"
            )
            lines += [
                f"readme_example_{number}() {{",
                body,
                "}",
                f"for _ in $(seq {POLL_SECONDS * 2}); do",
                f"  out=$(readme_example_{number})",
                f"  [[ $out == {bash_pattern(example.output)} ]] && break",
                "  sleep 0.5",
                "done",
                "printf '%s\\n' \"$out\"",
            ]
        else:
            lines.append(body)
    return "\n".join(lines) + "\n"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def procfile() -> dict[str, str]:
    entries = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, command = line.partition(":")
            entries[name.strip()] = command.strip()
    return entries


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        left = self.end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the README examples took longer than {TIME_LIMIT:.0f} s")
        return left


@pytest.fixture
def procfile_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """migrate + seed_demo + the Procfile's processes, as ``make run`` does, in a checkout-like dir."""
    assert shutil.which("curl"), "the README's examples use curl: install it (apt-get install -y curl)"
    deadline = Deadline(TIME_LIMIT)
    checkout = tmp_path / "checkout"
    var = checkout / "var"
    var.mkdir(parents=True)
    (checkout / ".venv").symlink_to(Path(sys.prefix))
    (checkout / "manage.py").symlink_to(ROOT / "manage.py")
    port = free_port()
    env = {
        **os.environ,
        "GOVERNANCE_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_RESULT_BACKEND": f"file://{var / 'celery-results'}",
        "WEB_BIND": f"127.0.0.1:{port}",
        "WEB_WORKERS": "1",
        "CELERY_CONCURRENCY": "1",
        "VENV_BIN": str(Path(sys.prefix) / "bin"),
        "PYTHONUNBUFFERED": "1",
    }
    for name in ("WORKER_READABLE_ROOTS", "MEDIA_ROOT", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    manage = [str(checkout / ".venv" / "bin" / "python"), "manage.py"]

    def manage_py(*args: str) -> str:
        done = subprocess.run(
            [*manage, *args], cwd=checkout, env=env, capture_output=True, text=True, timeout=deadline.left()
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stderr[-3000:]}"
        return done.stdout

    manage_py("migrate", "--noinput")
    seed_output = manage_py("seed_demo")
    base = f"http://127.0.0.1:{port}"
    processes: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    try:
        for name, command in procfile().items():
            logs[name] = tmp_path / f"{name}.log"
            with open(logs[name], "wb") as log:
                processes[name] = subprocess.Popen(
                    ["bash", "-c", f"exec {command}"],
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: stopped with all its children
                )
        while get(f"{base}/-/ready") != 200:
            for name, process in processes.items():
                assert process.poll() is None, f"{name} exited:\n{logs[name].read_text()[-3000:]}"
            deadline.left()
            time.sleep(0.3)
        yield {
            "base": base,
            "checkout": checkout,
            "env": env,
            "seed_output": seed_output,
            "deadline": deadline,
            "logs": logs,
        }
    finally:
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        stop_by = time.monotonic() + 3
        for process in processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, stop_by - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # the group: gunicorn's and Celery's children too
            process.wait()


def test_every_readme_shell_block_is_marked_and_some_run():
    examples = readme_examples(README.read_text())
    assert [e for e in examples if not e.skip], "no runnable example found"
    for example in examples:
        if example.skip:
            assert len(example.skip) > 10, f"README.md:{example.line}: say why the block is not run"


@pytest.mark.parametrize(
    ("documented", "printed", "matches"),
    [
        ('{"a": 1, "b": "6f1c..."}', '{"a": 1, "b": "6f1c22", "c": 3}', True),
        ('{"a": 1}', '{"a": 2}', False),
        ('{"a": [1]}', '{"a": [1, 2]}', False),
        ('{"a": "x"}', "not json", False),
    ],
)
def test_json_output_comparison(documented, printed, matches):
    example = Example(name="x", body="", line=1, output_lang="json", output=documented)
    assert output_matches(example, printed) is matches


def test_text_output_comparison():
    example = Example(name="x", body="", line=1, output_lang="text", output="OK: ...\n  events: ...\n")
    assert output_matches(example, "OK: verified\n  events: 25\n")
    assert not output_matches(example, "FAILED: at 3\n")
    quoted = subprocess.run(
        [
            "bash",
            "-c",
            f"[[ 'a *b c' == {bash_pattern('a *b ...')} ]] && [[ 'a xb c' != {bash_pattern('a *b ...')} ]]",
        ],
        check=False,
    )
    assert quoted.returncode == 0, "bash patterns treat the documented text literally except ..."


@pytest.mark.parametrize(
    ("bind", "url"),
    [
        (None, "http://127.0.0.1:8000"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[::]:9000", "http://[::1]:9000"),
        ("localhost", "http://localhost:8000"),
        ("unix:/run/governance.sock", None),
    ],
)
def test_seed_demo_prints_the_address_web_bind_serves(monkeypatch, bind, url):
    from governance.inventory.management.commands.seed_demo import served_url

    if bind is None:
        monkeypatch.delenv("WEB_BIND", raising=False)
    else:
        monkeypatch.setenv("WEB_BIND", bind)
    assert served_url() == url


def test_readme_examples_run_against_a_live_server(procfile_server):
    base = procfile_server["base"]
    # `make run` prints the URL it serves: seed_demo reads the WEB_BIND the Procfile binds gunicorn to.
    assert f"Admin: {base}/admin/" in procfile_server["seed_output"]
    assert get(f"{base}/admin/login/") == 200

    examples = [e for e in readme_examples(README.read_text()) if not e.skip]
    names = [e.name for e in examples]
    assert len(names) == len(set(names)), f"README example names repeat: {names}"
    process = subprocess.Popen(
        ["bash", "-c", script(examples, base)],
        cwd=procfile_server["checkout"],
        env=procfile_server["env"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=procfile_server["deadline"].left())
        problem = f"failed with exit {process.returncode}" if process.returncode else ""
    except (subprocess.TimeoutExpired, AssertionError):
        os.killpg(process.pid, signal.SIGKILL)  # bash and the curl or manage.py it was waiting for
        stdout, stderr = process.communicate()
        problem = f"was still running after {TIME_LIMIT:.0f} s (README_EXAMPLES_TIME_LIMIT)"
    chunks = stdout.split(SEPARATOR)[1:]
    printed = {int(number): output for number, _, output in (c.partition("\n") for c in chunks)}
    if problem:
        failed = examples[max(printed)] if printed else examples[0]
        worker = procfile_server["logs"]["worker"].read_text()[-2000:]
        pytest.fail(
            f"README example {failed.name!r} (README.md:{failed.line}) {problem}\n"
            f"--- its output ---\n{printed.get(examples.index(failed), '')}\n"
            f"--- stderr ---\n{stderr[-3000:]}\n--- worker log ---\n{worker}"
        )
    assert sorted(printed) == list(range(len(examples)))
    for number, example in enumerate(examples):
        if example.output is not None:
            assert output_matches(example, printed[number]), (
                f"README example {example.name!r} (README.md:{example.line}) printed\n{printed[number]}\n"
                f"which does not match the README's\n{example.output}"
            )
