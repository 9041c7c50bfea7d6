"""The pure pieces of ``govctl gate``, in process: backoff, Retry-After, escaping, CI detection, keys."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from govctl import ci, github
from govctl.api import (
    MAX_BACKOFF,
    ApiClient,
    ApiResponse,
    RetryPolicy,
    retry_after_seconds,
    sanitise,
)
from govctl.verdict import absolute_url

NOW = dt.datetime(2025, 6, 1, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("Sun, 01 Jun 2025 12:00:30 GMT", 30.0),
        ("Sun, 01 Jun 2025 11:00:00 GMT", 0.0),  # in the past: now
        ("soon", None),
        ("-5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base=1.0)
    for retry in range(8):
        full = min(MAX_BACKOFF, 2.0**retry)
        for _ in range(50):
            delay = policy.backoff(retry)
            assert full / 2 <= delay <= full
    assert len({round(policy.backoff(3), 6) for _ in range(20)}) > 1  # jittered, not lock-step


def test_retry_loop_sleeps_between_attempts_and_stops_at_the_deadline() -> None:
    """With a fake clock: the waits honour Retry-After and the loop never sleeps past the deadline."""
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    client = ApiClient(
        base="http://127.0.0.1:9",  # nothing listens: every attempt is "connection refused"
        key="k",
        policy=RetryPolicy(retries=10, deadline=20.0, base=1.0),
        sleep=sleep,
        clock=lambda: now[0],
        notes=lambda line: None,
    )
    with pytest.raises(Exception, match="would pass --timeout 20 s") as raised:
        client.call("GET", "/x")
    assert getattr(raised.value, "exit_code", None) == 2
    assert sum(slept) < 20.0
    assert all(a < b for a, b in itertools.pairwise(slept))  # growing


def test_sanitise_redacts_the_key_and_lone_surrogates() -> None:
    value = {"a": ["key abc123 here", "\ud800x"], "abc123": 1}
    assert sanitise(value, "abc123") == {"a": ["key [redacted] here", "?x"], "[redacted]": 1}


def test_problem_message_lists_field_errors() -> None:
    response = ApiResponse(
        status=422,
        document={
            "title": "Invalid input",
            "detail": "Bad.",
            "code": "invalid",
            "errors": {"env": ["x", "y"]},
        },
        content_type="application/problem+json",
    )
    assert response.problem().message() == "Invalid input: Bad. [invalid] (env: x y)"
    service_shaped = ApiResponse(
        status=404,
        document={
            "type": "urn:modelops-governance:problem:not_found",
            "title": "Not found",
            "status": 404,
            "detail": "No model 'm' version 'v' visible to you.",
            "errors": [
                {
                    "field": "version",
                    "message": "No model 'm' version 'v' visible to you.",
                    "code": "not_found",
                },
                {"field": "", "message": "No model 'm' version 'v' visible to you.", "code": "not_found"},
            ],
        },
        content_type="application/problem+json",
    )
    problem = service_shaped.problem()
    assert problem.code == "not_found"
    assert problem.message() == (
        "Not found: No model 'm' version 'v' visible to you. [not_found] "
        "(version: No model 'm' version 'v' visible to you.)"
    )
    assert ApiResponse(status=502, document=None, content_type="").problem().message() == "Bad Gateway"


def test_display_url_hides_credentials() -> None:
    client = ApiClient(base="https://user:secret@gov.example:8443/base", key="k")
    assert client.display_url("/api") == "https://gov.example:8443/base/api"


def test_absolute_url() -> None:
    assert absolute_url("https://gov.example/root", "/api/v1/x") == "https://gov.example/api/v1/x"
    assert absolute_url("https://gov.example", "https://other.example/y") == "https://other.example/y"
    assert absolute_url("https://gov.example", "javascript:alert(1)") is None
    assert absolute_url("https://gov.example", None) is None


# --- GitHub escaping -----------------------------------------------------------------------------


def test_workflow_command_escaping_matches_actions_toolkit() -> None:
    assert github.escape_data("100% a\r\nb:c,d") == "100%25 a%0D%0Ab:c,d"
    assert github.escape_property("100% a\r\nb:c,d") == "100%25 a%0D%0Ab%3Ac%2Cd"
    assert github.command("error", "m:1", title="T: x,y") == "::error title=T%3A x%2Cy::m:1"
    assert github.escape_data("\x1b[31m") == "\\x1b[31m"


def test_markdown_escaping() -> None:
    assert github.markdown("a|b <i>*x*</i> [l](u) `c`") == (
        "a\\|b &lt;i\\>\\*x\\*&lt;/i\\> \\[l\\]\\(u\\) \\`c\\`"
    )
    assert "\n" not in github.markdown("one\ntwo")


# --- CI detection and idempotency keys -----------------------------------------------------------


def test_detect_github() -> None:
    context = ci.detect(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_REPOSITORY": "o/r",
            "GITHUB_SHA": "abc",
            "GITHUB_SERVER_URL": "https://ghe.example/",
            "GITHUB_RUN_ID": "5",
            "GITHUB_RUN_ATTEMPT": "2",
            "GITHUB_ACTOR": "me",
        }
    )
    assert context.as_body() == {
        "provider": "github",
        "repository": "o/r",
        "commit": "abc",
        "run_url": "https://ghe.example/o/r/actions/runs/5",
        "actor": "me",
    }
    assert (context.run_id, context.attempt) == ("5", "2")


def test_detect_gitlab_and_other() -> None:
    context = ci.detect({"GITLAB_CI": "true", "CI_PROJECT_PATH": "g/p", "CI_JOB_ID": "9", "CI_JOB_URL": "u"})
    assert (context.provider, context.repository, context.run_url, context.run_id) == (
        "gitlab",
        "g/p",
        "u",
        "9",
    )
    assert ci.detect({"CI": "true"}).as_body()["provider"] == "other"
    assert ci.detect({"GITHUB_ACTIONS": "false"}).provider == "other"


def test_idempotency_key_derivation() -> None:
    run1 = ci.CiContext(provider="github", repository="o/r", run_id="5", attempt="1")
    key = ci.idempotency_key(run1, "gate-check", "m", "v", "prod", "sha256:x")
    assert key == ci.idempotency_key(run1, "gate-check", "m", "v", "prod", "sha256:x")
    assert key.startswith("govctl-") and len(key) == len("govctl-") + 64
    others = {
        ci.idempotency_key(run1, "gate-check", "m", "v", "staging", "sha256:x"),
        ci.idempotency_key(run1, "gate-check", "m", "v", "prod", "sha256:y"),
        ci.idempotency_key(run1, "deploy-record", "m", "v", "prod", "sha256:x"),
        ci.idempotency_key(
            ci.CiContext(provider="github", repository="o/r", run_id="5", attempt="2"),
            "gate-check",
            "m",
            "v",
            "prod",
            "sha256:x",
        ),
    }
    assert key not in others and len(others) == 4
    outside = ci.CiContext(provider="other")
    assert ci.idempotency_key(outside, "gate-check", "m") != ci.idempotency_key(outside, "gate-check", "m")


@pytest.mark.parametrize("url", ["http://[::1", "http://host:abc", "ftp://host", "host:8000", "https://"])
def test_malformed_server_urls_are_usage_errors(url: str) -> None:
    from govctl.api import base_url
    from govctl.errors import InputError

    with pytest.raises(InputError, match="must be http"):
        base_url(url, {})


def test_plain_http_elsewhere_than_loopback_warns(capsys: pytest.CaptureFixture[str]) -> None:
    from govctl.api import base_url

    assert base_url("http://127.0.0.1:8000/", {}) == "http://127.0.0.1:8000"
    assert capsys.readouterr().err == ""
    assert base_url(None, {"GOVERNANCE_URL": "http://gov.example"}) == "http://gov.example"
    assert "the API key travels unencrypted" in capsys.readouterr().err
