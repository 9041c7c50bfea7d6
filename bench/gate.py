"""Deploy gate under load: ``POST /api/v1/gate/checks`` against a trivial authenticated endpoint, one server.

Run: ``.venv/bin/python -m bench.gate [--concurrency 1 8 32] [--seconds 5] [--rounds 5]``
(``--queries-only``: just the query counts, no server, no wrk).

Needs PostgreSQL and wrk (Debian/Ubuntu: ``apt-get install -y wrk``; macOS: ``brew install wrk``). It
connects with ``DATABASE_URL`` if that names PostgreSQL, else ``postgres://postgres@127.0.0.1:5432/postgres``,
creates a database of its own (``bench_gate_<pid>``, dropped at the end) and a throwaway
``GOVERNANCE_VAR_DIR``; it never touches the configured database, ``var/`` or a test run's.

What it does:

* migrates, seeds the demo (``manage.py seed_demo``) and, through the same services as the demo's
  people, credit-scoring 1.0.1 approved for prod with real evidence (a directory artifact hashed and
  signed by the hashing service, the model card, a passing bias report from a real fairness check,
  approved by two reviewers); creates a CI key of team credit-risk with the ``gate:check`` scope only;
* starts gunicorn on loopback as the Procfile does (``--workers 2 --worker-class gthread --threads 8``,
  no access log), ``AUDIT_INTEGRATE_MODE`` left at PostgreSQL's default (a background integrator);
* for each concurrency and round, runs wrk (one thread, ``--seconds`` each, keep-alive connections,
  a second process on loopback) against, in alternating order:

  - the **baseline**: ``GET /api/v1/-/whoami`` with the same key: API key authentication (one
    query), DRF, JSON rendering; no domain work;
  - the **gate**: ``POST /api/v1/gate/checks`` for that artifact to prod, without ``Idempotency-Key``,
    so every request is a full evaluation: read the facts, verify the artifact's attestation, decide,
    store the decision, append its audit entry, sign the in-toto test-result attestation;

  wrk's own Lua ``done`` hook reports requests, non-2xx answers and the latency percentiles. A round's
  gate run must answer only 200s and store one decision (a pass) per answered request. Meanwhile the
  CPU time of gunicorn's processes and of the database's PostgreSQL backends is read from ``/proc``
  (Linux, PostgreSQL on this machine): where a request's cost goes, whatever else loads the machine;
* times ``gate_check`` in-process, with the time spent inside ``sign_statement`` (the ECDSA P-256
  DSSE signature) and inside ``attestation_create`` (signer lookup, signature, insert) summed over the
  same calls: the signature's share of a decision;
* counts the queries of one ``gate_check``, one HTTP gate request and one whoami request, before the
  load and after it (thousands of decisions later): the count does not grow with history.

Every figure is median [min-max] over ``--rounds`` rounds. In the table, "measured s" and "baseline s"
are the mean seconds per request (1 / throughput), so "speed vs baseline" is gate throughput / whoami
throughput. Targets (issue 12): ratio >= 0.5 and gate p99 < 50 ms at 32 clients on 2 cores.
"""

from __future__ import annotations

import argparse
import atexit
import json
import math
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

_PG_DEFAULT = "postgres://postgres@127.0.0.1:5432/postgres"
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    os.environ["DATABASE_URL"] = _PG_DEFAULT
_VAR = tempfile.mkdtemp(prefix="bench-gate-var-")
atexit.register(shutil.rmtree, _VAR, ignore_errors=True)  # also after --help or a crash
os.environ["GOVERNANCE_VAR_DIR"] = _VAR  # secrets, demo files, signing passphrase: all throwaway
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

import audit.attestations  # noqa: E402
from audit.integrator import IDLE_CLOSE_SECONDS, _flush_at_exit  # noqa: E402
from bench.report import MIN_ROUNDS, Figure, emit, progress  # noqa: E402
from governance.accounts.principal import cli_principal, principal_for_api_key  # noqa: E402
from governance.accounts.services import api_key_create  # noqa: E402
from governance.gate.models import GateDecision  # noqa: E402
from governance.gate.services import gate_check  # noqa: E402
from governance.inventory.models import ModelVersion  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODEL, VERSION = "credit-scoring", "1.0.1"
CI = {"provider": "github", "repository": "bank/credit", "commit": "0a1b2c3", "actor": "bench"}
WHOAMI, GATE = "/api/v1/-/whoami", "/api/v1/gate/checks"
WRK_INSTALL = "wrk is not installed: apt-get install -y wrk (Debian/Ubuntu) or brew install wrk (macOS)."
TARGET_RATIO, TARGET_P99_MS, TARGET_CLIENTS = 0.5, 50.0, 32
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# wrk's Lua hooks: the request, and one JSON line with what the run saw (latencies in microseconds).
LUA = """
wrk.method = %(method)s
wrk.body = %(body)s
wrk.headers["Authorization"] = %(auth)s
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %%d, "duration_us": %%d, "non2xx": %%d, "connect": %%d, "read": %%d, '
    .. '"write": %%d, "timeout": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d}\\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for ASCII text


@dataclass(frozen=True)
class Run:
    """One wrk run: throughput and latency percentiles."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    web_cpu_s: float = math.nan  # CPU time of gunicorn (master, workers) during the run
    db_cpu_s: float = math.nan  # CPU time of the PostgreSQL backends serving the benchmark's database

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> tuple[float, float]:
        """CPU milliseconds a request: (gunicorn, PostgreSQL)."""
        return self.web_cpu_s / self.requests * 1000, self.db_cpu_s / self.requests * 1000


def cpu_seconds(pid: int, command: str = "") -> float:
    """User + system CPU time of a local process so far (0 if it is gone or is not ``command``)."""
    try:
        if command and command not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
            return 0.0  # PostgreSQL on another host or container: its pids are not ours to read
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def group_pids(pgid: int) -> list[int]:
    """The processes of gunicorn's process group (it runs in a session of its own)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def backend_pids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def measured(server: subprocess.Popen[bytes], body: Callable[[], Run]) -> Run:
    """``body``'s wrk run with the CPU time gunicorn and the database's backends spent meanwhile
    (Linux /proc, PostgreSQL on this machine; NaN elsewhere)."""
    if not Path("/proc/self/stat").exists():
        return body()
    web, db = group_pids(server.pid), backend_pids()
    web_before = {pid: cpu_seconds(pid) for pid in web}
    db_before = {pid: cpu_seconds(pid, "postgres") for pid in db}
    run = body()
    web_after = {pid: cpu_seconds(pid) for pid in {*web, *group_pids(server.pid)}}
    db_after = {pid: cpu_seconds(pid, "postgres") for pid in {*db, *backend_pids()}}
    return replace(
        run,
        web_cpu_s=sum(v - web_before.get(pid, 0.0) for pid, v in web_after.items() if v),
        db_cpu_s=sum(v - db_before.get(pid, 0.0) for pid, v in db_after.items() if v),
    )


def wrk(url: str, script: Path, clients: int, seconds: float) -> Run:
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(clients),
        "--duration",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "--script",
        str(script),
        url,
    ]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    line = next((x for x in out.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    raw = json.loads(line[4:])
    errors = sum(raw[k] for k in ("non2xx", "connect", "read", "write", "timeout"))
    return Run(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        errors=errors,
        p50_ms=raw["p50_us"] / 1000,
        p90_ms=raw["p90_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
    )


def database_url() -> str:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(port: int, workers: int, threads: int, log: Path) -> subprocess.Popen[bytes]:
    """gunicorn as the Procfile runs it (gthread), on loopback, in its own process group."""
    env = {**os.environ, "DATABASE_URL": database_url()}
    out = log.open("ab")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "governance.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--timeout",
            "60",
            "--keep-alive",
            "5",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=out,
        stderr=out,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/alive", timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    stop(process)
    raise RuntimeError(f"gunicorn did not start: {log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the gunicorn this benchmark started (its own process group, by PID)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def decisions() -> int:
    return GateDecision.objects.count()


def settle(timeout: float = 30.0) -> int:
    """Wait until no more decisions are being stored (requests a stopped wrk left queued in gunicorn
    finish after it), then let audit integration catch up a moment; the count."""
    deadline = time.monotonic() + timeout
    count = decisions()
    while time.monotonic() < deadline:
        time.sleep(0.3)
        now = decisions()
        if now == count:
            break
        count = now
    time.sleep(0.3)
    return count


def query_counts(secret: str, body: dict[str, Any]) -> dict[str, int]:
    """Queries of one gate_check call, one HTTP gate request and one whoami request (warm process)."""
    actor = principal_for_api_key(_key(secret))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    payload = json.dumps(body)

    def http_gate() -> None:
        response = client.post(GATE, payload, content_type="application/json")
        assert response.status_code == 200 and response.json()["decision"] == "pass", response.content

    def whoami() -> None:
        assert client.get(WHOAMI).status_code == 200

    def service() -> None:
        gate_check(actor=actor, **body)

    counts = {}
    for name, call in (("gate_check", service), ("HTTP gate", http_gate), ("HTTP whoami", whoami)):
        call()  # warm: the key's last_used_at, caches
        with CaptureQueriesContext(connection) as queries:
            call()
        counts[name] = len(queries)
    return counts


def _key(secret: str) -> Any:
    from governance.accounts.models import ApiKey

    return ApiKey.objects.select_related("team").get(prefix=secret.split("_", 2)[1])


@contextmanager
def timed(module: Any, name: str, into: list[float]) -> Iterator[None]:
    """Sum the wall time spent inside ``module.name`` while the block runs."""
    original: Callable[..., Any] = getattr(module, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            into.append(time.perf_counter() - began)

    setattr(module, name, wrapper)
    try:
        yield
    finally:
        setattr(module, name, original)


def signing_round(secret: str, body: dict[str, Any], calls: int) -> tuple[float, float, float]:
    """(total gate_check s, of which in sign_statement, of which in attestation_create) over ``calls``."""
    actor = principal_for_api_key(_key(secret))
    signing: list[float] = []
    attesting: list[float] = []
    services = sys.modules["governance.gate.services"]
    with (
        timed(audit.attestations, "sign_statement", signing),
        timed(services, "attestation_create", attesting),
    ):
        began = time.perf_counter()
        for _ in range(calls):
            decision = gate_check(actor=actor, **body)
            assert decision.decision == "pass", decision.reasons
        total = time.perf_counter() - began
    assert len(signing) == len(attesting) == calls
    return total, sum(signing), sum(attesting)


def seed(secret_name: str) -> tuple[str, dict[str, Any]]:
    """The demo, a version of credit-scoring approved for prod with real evidence, and a gate:check key.

    The version is made through the services as the demo's people: a directory artifact hashed and
    signed by the hashing service, the card of 1.0.0, a passing bias report from a real fairness
    check, submitted by alice and approved by rita and pavel. (The demo's own 1.0.0 is a single-file
    artifact, which the gate currently refuses with attestation_digest_mismatch: its model_signing
    attestation names the manifest digest, the version records the file's sha256.)
    """
    from django.contrib.auth import get_user_model

    from governance.accounts.principal import principal_for_user, worker_principal
    from governance.approvals.services import approval_decide, approval_request_submit
    from governance.inventory import services
    from governance.inventory.artifacts import artifact_hash_request, artifact_hash_run
    from governance.inventory.management.commands import seed_demo
    from governance.inventory.models import ModelCard

    call_command("seed_demo", quiet_login=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    people = {u.username: principal_for_user(u) for u in get_user_model().objects.all()}
    actor = people["alice"]
    demo = ModelVersion.objects.select_related("model__team").get(model__name=MODEL, version="1.0.0")
    artifact = Path(_VAR) / "shared" / "bench" / f"{MODEL}-{VERSION}"
    artifact.mkdir(parents=True)
    (artifact / "weights.bin").write_bytes(os.urandom(64 * 1024))
    (artifact / "config.json").write_text('{"trees": 400, "max_depth": 6}')
    mv = services.model_version_create(
        actor=actor,
        model=demo.model,
        version=VERSION,
        artifact_uri=artifact.as_uri(),
        framework="xgboost 2.1",
        metrics={"auc": 0.781, "ks": 0.41},
        datasets=[(link.dataset_version, link.usage) for link in demo.dataset_links.all()],
    )
    job = artifact_hash_run(
        job_id=artifact_hash_request(actor=actor, model_version=mv).pk, actor=worker_principal("bench")
    )
    assert job.status == "succeeded", job.error
    card = ModelCard.objects.filter(model_version=demo).order_by("-revision").first()
    services.model_card_create(
        actor=actor, model_version=mv, **{s: getattr(card, s) for s in services.CARD_SECTIONS}
    )
    fair = partial(seed_demo._demo_predictions_csv, 10_000, seed=2023, fair=True)
    seed_demo.Command()._bias_report(actor, MODEL, VERSION, fair, seed_demo.CREDIT_FAIRNESS)
    request = approval_request_submit(
        actor=actor, model_version=mv, environment="prod", comment="Benchmark version."
    )
    for who, role in (("rita", "model_risk_reviewer"), ("pavel", "privacy_officer")):
        approval_decide(actor=people[who], request=request, decision="approve", comment="Ok.", role=role)
    mv.refresh_from_db()
    if mv.status != "approved":
        raise RuntimeError(f"the benchmark's {MODEL} {VERSION} is {mv.status}, not approved")
    issued = api_key_create(
        actor=cli_principal("bench.gate"), team=mv.model.team, name=secret_name, scopes=["gate:check"]
    )
    body = {
        "model": MODEL,
        "version": VERSION,
        "environment": "prod",
        "artifact_digest": mv.artifact_digest,
        "ci": CI,
    }
    return issued.secret, body


def spread_text(values: list[float], fmt: str) -> str:
    return f"{statistics.median(values):{fmt}} [{min(values):{fmt}}-{max(values):{fmt}}]"


def cpu_text(runs: list[Run]) -> str:
    web = statistics.median(r.cpu_ms[0] for r in runs)
    db = statistics.median(r.cpu_ms[1] for r in runs)
    return "n/a" if math.isnan(web + db) else f"{web:.1f} + {db:.1f}"


def summary_table(results: dict[int, dict[str, list[Run]]]) -> str:
    """The issue's table: both throughputs, their ratio, gate latency; median [min-max] over rounds."""
    head = (
        "| clients | whoami req/s | gate req/s | gate / whoami | gate p50 ms | gate p99 ms | whoami p99 ms "
        "| CPU ms a request, gunicorn + PostgreSQL: gate | whoami |",
        "|---|---|---|---|---|---|---|---|---|",
    )
    lines = list(head)
    for clients, runs in results.items():
        base, gate = runs["whoami"], runs["gate"]
        ratios = [g.rps / b.rps for g, b in zip(gate, base, strict=True)]
        lines.append(
            f"| {clients} | {spread_text([r.rps for r in base], ',.0f')} "
            f"| {spread_text([r.rps for r in gate], ',.0f')} | {spread_text(ratios, '.2f')} "
            f"| {spread_text([r.p50_ms for r in gate], '.1f')} "
            f"| {spread_text([r.p99_ms for r in gate], '.1f')} "
            f"| {spread_text([r.p99_ms for r in base], '.1f')} "
            f"| {cpu_text(gate)} | {cpu_text(base)} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32], help="wrk connections")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each wrk run (1-60)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (gthread)")
    parser.add_argument("--threads", type=int, default=8, help="threads per gunicorn worker")
    parser.add_argument("--signing-calls", type=int, default=100, help="in-process gate_check calls a round")
    parser.add_argument("--rounds", type=int, default=MIN_ROUNDS, help="rounds of every measurement")
    parser.add_argument("--queries-only", action="store_true", help="print the query counts and stop")
    parser.add_argument("--json", action="store_true", help="one JSON figure a line (for python -m bench)")
    args = parser.parse_args()
    if not 1 <= args.seconds <= 60:
        parser.error("--seconds: between 1 and 60 (every run is bounded)")
    if max(args.concurrency) > 256:
        parser.error("--concurrency: at most 256 clients")
    if not args.queries_only and shutil.which("wrk") is None:
        print(WRK_INSTALL, file=sys.stderr)
        return 2
    if connection.vendor != "postgresql":
        print("bench.gate measures on PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2

    connection.settings_dict["TEST"]["NAME"] = f"bench_gate_{os.getpid()}"
    begun = time.perf_counter()
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    server: subprocess.Popen[bytes] | None = None
    failed: list[str] = []
    try:
        secret, body = seed("bench-gate")
        progress(
            f"gate: database {connection.settings_dict['NAME']} migrated and seeded in "
            f"{time.perf_counter() - begun:.0f} s"
        )
        before = query_counts(secret, body)
        progress(f"gate: queries before the load: {before}")
        if args.queries_only:
            for _ in range(200):  # history: 200 more decisions, audit entries and attestations
                gate_check(actor=principal_for_api_key(_key(secret)), **body)
            after = query_counts(secret, body)
            print(f"queries per call with {decisions()} decisions stored: {after}")
            print(f"queries per call with few decisions stored:        {before}")
            return 0 if after == before else 1

        scripts = {}
        for name, method, payload in (("whoami", "GET", ""), ("gate", "POST", json.dumps(body))):
            path = Path(_VAR) / f"{name}.lua"
            path.write_text(
                LUA
                % {
                    "method": lua_string(method),
                    "body": lua_string(payload) if payload else "nil",
                    "auth": lua_string(f"Bearer {secret}"),
                }
            )
            scripts[name] = path
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        server = start_gunicorn(port, args.workers, args.threads, Path(_VAR) / "gunicorn.log")
        connections.close_all()
        progress(f"gate: gunicorn {args.workers} workers x {args.threads} threads (gthread) on {base_url}")
        for name, endpoint in (("whoami", WHOAMI), ("gate", GATE)):  # warm-up: connections, caches
            wrk(base_url + endpoint, scripts[name], max(args.concurrency), 2)

        results: dict[int, dict[str, list[Run]]] = {c: {"whoami": [], "gate": []} for c in args.concurrency}
        stored: list[str] = []
        for round_ in range(args.rounds):
            for clients in args.concurrency:
                order = ("whoami", "gate") if round_ % 2 == 0 else ("gate", "whoami")
                for name in order:
                    count = settle()  # the last run's requests still in the server finish first
                    url = base_url + (GATE if name == "gate" else WHOAMI)
                    run = measured(server, partial(wrk, url, scripts[name], clients, args.seconds))
                    results[clients][name].append(run)
                    if run.errors:
                        failed.append(f"{name} at {clients} clients: {run.errors} errors")
                    if name == "gate":
                        added = decisions() - count
                        if not run.requests <= added <= run.requests + clients:
                            failed.append(f"{run.requests} answered gate requests stored {added} decisions")
                        stored.append(f"{added}/{run.requests}")
            connections.close_all()
            progress(f"gate: round {round_ + 1}/{args.rounds} done")
        fails = GateDecision.objects.exclude(decision="pass").count()
        if fails:
            failed.append(f"{fails} decisions were not a pass")
        total = decisions()
        stop(server)
        server = None

        signing = [signing_round(secret, body, args.signing_calls) for _ in range(args.rounds)]
        after = query_counts(secret, body)
        if after != before:
            failed.append(f"query counts grew with history: {before} -> {after}")
        connections.close_all()

        figures = []
        for clients, runs in results.items():
            base, gate = runs["whoami"], runs["gate"]
            ratio = statistics.median(g.rps / b.rps for g, b in zip(gate, base, strict=True))
            p99 = statistics.median(r.p99_ms for r in gate)
            target = ""
            if clients == TARGET_CLIENTS:
                met = ratio >= TARGET_RATIO and p99 < TARGET_P99_MS
                verdict = "met" if met else "NOT MET"
                target = f"; targets (>= {TARGET_RATIO:g}x, p99 < {TARGET_P99_MS:g} ms) {verdict}"
            figures.append(
                Figure(
                    benchmark="deploy gate over HTTP, PostgreSQL",
                    size=f"{clients} client{'s' if clients > 1 else ''}, {args.seconds:g} s runs, "
                    f"gunicorn {args.workers}x{args.threads} gthread",
                    measured="POST /api/v1/gate/checks (evaluate, store, audit, sign)",
                    baseline="GET /api/v1/-/whoami (same key, same server)",
                    measured_seconds=[1 / r.rps for r in gate],
                    baseline_seconds=[1 / r.rps for r in base],
                    check=(
                        f"gate {spread_text([r.rps for r in gate], ',.0f')} req/s, "
                        f"p50 {spread_text([r.p50_ms for r in gate], '.1f')} ms, "
                        f"p99 {spread_text([r.p99_ms for r in gate], '.1f')} ms; "
                        f"whoami {spread_text([r.rps for r in base], ',.0f')} req/s, "
                        f"p99 {spread_text([r.p99_ms for r in base], '.1f')} ms; CPU ms a request "
                        f"(gunicorn + PostgreSQL) gate {cpu_text(gate)}, whoami {cpu_text(base)}{target}"
                    ),
                    extra={
                        "gate": [asdict(r) for r in gate],
                        "whoami": [asdict(r) for r in base],
                    },
                )
            )
        queries = (
            f"; queries: gate_check {after['gate_check']} with {total:,} decisions stored, "
            f"{before['gate_check']} with a handful; HTTP gate {after['HTTP gate']}, "
            f"HTTP whoami {after['HTTP whoami']}; "
            f"decisions stored/answered per run: {', '.join(stored[:3])}, ..."
        )
        share = [s / t for t, s, _ in signing]
        attest_share = [a / t for t, _, a in signing]
        per_call = [t / args.signing_calls * 1000 for t, _, _ in signing]
        for column, what, shares in (
            (1, "sign_statement (in-toto statement, DSSE, ECDSA P-256)", share),
            (2, "attestation_create (signer lookup, signature, insert)", attest_share),
        ):
            figures.append(
                Figure(
                    benchmark="deploy gate in-process, PostgreSQL",
                    size=f"{args.signing_calls} gate_check calls",
                    measured=f"time inside {what}",
                    baseline="the same gate_check calls, whole",
                    measured_seconds=[s[column] for s in signing],
                    baseline_seconds=[s[0] for s in signing],
                    check=(
                        f"{spread_text([x * 100 for x in shares], '.1f')} % of a gate_check "
                        f"({spread_text(per_call, '.1f')} ms a call)" + (queries if column == 1 else "")
                    ),
                )
            )
        emit(figures, args.json)
        if not args.json:
            print()
            print(summary_table(results))
        for problem in failed:
            progress(f"gate: CHECK FAILED: {problem}")
        return 1 if failed else 0
    finally:
        if server is not None:
            stop(server)
        atexit.unregister(_flush_at_exit)  # the throwaway database is about to go
        time.sleep(IDLE_CLOSE_SECONDS + 0.5)  # the integrator thread gives its connection back
        connections.close_all()
        drop(connection.settings_dict["NAME"])
        shutil.rmtree(_VAR, ignore_errors=True)


def drop(name: str) -> None:
    """Drop the benchmark's own database (WITH FORCE: a straggling connection must not keep it)."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
