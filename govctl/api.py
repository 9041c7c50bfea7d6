"""Calling the governance API from CI: JSON over ``urllib``, retried with backoff, never twice decided.

A deploy job must not fail because the server restarted for a second, nor hang for an hour: network
errors, timeouts, HTTP 429 and 5xx are retried with exponential backoff and jitter (honouring
``Retry-After``), all within one overall deadline (``--timeout``). Any other answer is final: a 200
verdict, a 201 record, a 4xx problem. POSTs carry an ``Idempotency-Key`` that stays the same across
the retries, so a request the server did process before the connection dropped gets the same
decision back instead of a second one.

Strings the server sends are untrusted: lone surrogates (which JSON allows and no encoder writes) are
replaced, and the API key is redacted wherever it appears, so no output format can leak it. The key is
sent with :meth:`urllib.request.Request.add_unredirected_header` and redirects are refused outright
(urllib would turn a redirected POST into a GET without its body).
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import http.client
import json
import random
import re
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import EXIT_FAILED, EXIT_NOT_FOUND, EXIT_USAGE, CliError, InputError
from .output import clean
from .sources import USER_AGENT

URL_ENV: Final = "GOVERNANCE_URL"
KEY_ENV: Final = "GOVERNANCE_API_KEY"

DEFAULT_DEADLINE: Final = 60.0
"""Seconds for the whole command, retries included (``--timeout``)."""
DEFAULT_RETRIES: Final = 5
DEFAULT_RETRY_BASE: Final = 1.0
"""First backoff delay in seconds; doubled on each retry, capped by :data:`MAX_BACKOFF`."""
MAX_BACKOFF: Final = 30.0
MAX_ATTEMPT_TIMEOUT: Final = 30.0
"""No single request waits longer than this, so a hung connection leaves time for a retry."""
MAX_RESPONSE_BYTES: Final = 16 << 20

RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
PROBLEM_TYPE: Final = "application/problem+json"
REDACTED: Final = "[redacted]"


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem document (``application/problem+json``), as the service sends errors."""

    status: int
    title: str
    detail: str
    code: str | None = None
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    type: str | None = None

    def message(self) -> str:
        """``title: detail [code]`` then every field error, on one line."""
        text = self.title
        if self.detail and self.detail != self.title:
            text = f"{text}: {self.detail}" if text else self.detail
        if self.code:
            text += f" [{self.code}]"
        fields = "; ".join(
            f"{name}: {' '.join(msgs)}" if name else " ".join(msgs)
            for name, msgs in self.errors.items()
            if name or " ".join(msgs) not in text  # the detail often repeats a field-less error
        )
        return f"{text} ({fields})" if fields else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "errors": dict(self.errors),
        }


class ApiError(CliError):
    """The server answered with an error (or could not be reached); carries the problem if any."""

    def __init__(self, message: str, *, exit_code: int = EXIT_USAGE, problem: Problem | None = None):
        super().__init__(message)
        self.exit_code = exit_code
        self.problem = problem


@dataclass(frozen=True)
class ApiResponse:
    """A final answer: its status and its JSON document (already sanitised)."""

    status: int
    document: Any
    content_type: str

    def problem(self) -> Problem:
        """This answer read as a problem document (whatever its content type)."""
        doc = self.document if isinstance(self.document, dict) else {}
        problem_type = _text(doc.get("type")) or None
        return Problem(
            status=self.status,
            title=_text(doc.get("title")) or http.client.responses.get(self.status, "HTTP error"),
            detail=_text(doc.get("detail")),
            code=_text(doc.get("code")) or _code_from_type(problem_type),
            errors=_field_errors(doc.get("errors")),
            type=problem_type,
        )


def _code_from_type(problem_type: str | None) -> str | None:
    """The stable code a problem ``type`` ends with (``urn:…:problem:not_found``, ``…/problems/x``)."""
    if not problem_type or problem_type == "about:blank":
        return None
    return re.split(r"[:/]", problem_type.rstrip("/"))[-1] or None


def _field_errors(errors: Any) -> dict[str, list[str]]:
    """Field errors as ``{field: [messages]}``, from that shape or from ``[{field, message, code}]``."""
    grouped: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for name, messages in errors.items():
            items = messages if isinstance(messages, list) else [messages]
            grouped[str(name)] = [_text(m) for m in items]
    elif isinstance(errors, list):
        for item in errors:
            if isinstance(item, dict):
                grouped.setdefault(_text(item.get("field")), []).append(_text(item.get("message")))
            else:
                grouped.setdefault("", []).append(_text(item))
    return grouped


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else json.dumps(value)


def sanitise(value: Any, secret: str | None) -> Any:
    """Every string made printable by an encoder (no lone surrogates) and free of ``secret``."""
    if isinstance(value, str):
        value = value.encode("utf-8", "replace").decode("utf-8")
        return value.replace(secret, REDACTED) if secret else value
    if isinstance(value, list):
        return [sanitise(item, secret) for item in value]
    if isinstance(value, dict):
        return {sanitise(k, secret): sanitise(v, secret) for k, v in value.items()}
    return value


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: a 3xx reaches the caller as an HTTP error, body and key never re-sent."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _is_loopback(host: str) -> bool:
    return host in {"localhost", "127.0.0.1", "::1"} or host.startswith("127.")


def base_url(explicit: str | None, environ: Mapping[str, str]) -> str:
    """The service's base URL from ``--url`` or ``$GOVERNANCE_URL``, checked to be http(s)."""
    url = (explicit or environ.get(URL_ENV) or "").strip()
    if not url:
        raise InputError(f"no server: set {URL_ENV} or pass --url")
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts, host = urllib.parse.urlsplit(""), ""
    if parts.scheme.lower() not in {"http", "https"} or not host:
        raise InputError(f"the server URL must be http(s)://host[:port], got {clean(url)!r}")
    if parts.scheme.lower() == "http" and not _is_loopback(host):
        sys.stderr.write(f"govctl: warning: {URL_ENV} is plain http; the API key travels unencrypted\n")
    return url.rstrip("/")


def api_key(environ: Mapping[str, str]) -> str:
    """The API key from ``$GOVERNANCE_API_KEY`` (never a flag: argv shows in ``ps`` and CI logs)."""
    key = environ.get(KEY_ENV, "").strip()
    if not key:
        raise InputError(f"no API key: set {KEY_ENV} (a key with the gate scope, from your CI secrets)")
    return key


@dataclass
class RetryPolicy:
    """How long and how often to try: ``retries`` more attempts, all within ``deadline`` seconds."""

    retries: int = DEFAULT_RETRIES
    deadline: float = DEFAULT_DEADLINE
    base: float = DEFAULT_RETRY_BASE

    def backoff(self, retry: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random, capped."""
        delay = min(MAX_BACKOFF, self.base * 2.0**retry)
        return delay / 2 + random.uniform(0, delay / 2)  # noqa: S311 - jitter, not a secret


def _note(line: str) -> None:
    """A retry, said on stderr so the CI log shows why the step took longer."""
    sys.stderr.write(f"govctl: {clean(line)}\n")


class _Retryable(Exception):
    """An attempt that may succeed if repeated: a network error or a 429/5xx answer."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


@dataclass
class ApiClient:
    """One service, one key; :meth:`call` returns the first final answer or raises :class:`ApiError`."""

    base: str
    key: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    notes: Callable[[str], None] = field(default=_note)

    def __post_init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirect)

    def url(self, path: str) -> str:
        return self.base + path

    def display_url(self, path: str) -> str:
        """The URL for messages, without any ``user:password@`` part."""
        parts = urllib.parse.urlsplit(self.url(path))
        host = parts.hostname or ""
        netloc = f"[{host}]" if ":" in host else host
        if parts.port is not None:
            netloc += f":{parts.port}"
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ApiResponse:
        """Send the request until a final answer or the retries/deadline run out."""
        data = json.dumps(body, ensure_ascii=True).encode() if body is not None else None
        what = f"{method} {self.display_url(path)}"
        end = self.clock() + self.policy.deadline
        attempt = 0
        while True:
            remaining = end - self.clock()
            if remaining <= 0:
                raise ApiError(f"{what}: no answer within --timeout {self.policy.deadline:g} s")
            try:
                return self._attempt(method, path, data, headers or {}, min(MAX_ATTEMPT_TIMEOUT, remaining))
            except _Retryable as exc:
                if attempt >= self.policy.retries:
                    raise ApiError(f"{what}: {exc.reason} (gave up after {attempt + 1} attempts)") from None
                wait = self.policy.backoff(attempt)
                if exc.retry_after is not None:
                    wait = max(wait, exc.retry_after)
                left = end - self.clock()
                if wait >= left:
                    raise ApiError(
                        f"{what}: {exc.reason}; the next try (in {wait:.1f} s) would pass "
                        f"--timeout {self.policy.deadline:g} s, giving up after {attempt + 1} attempts"
                    ) from None
                attempt += 1
                self.notes(f"{what}: {exc.reason}; retry {attempt} of {self.policy.retries} in {wait:.2f} s")
                self.sleep(wait)

    def _request(
        self, method: str, path: str, data: bytes | None, headers: Mapping[str, str]
    ) -> urllib.request.Request:
        request = urllib.request.Request(  # noqa: S310 - base_url() allows http(s) only
            self.url(path),
            data=data,
            method=method,
            headers={"Accept": f"application/json, {PROBLEM_TYPE}", "User-Agent": USER_AGENT, **headers},
        )
        if data is not None:
            request.add_header("Content-Type", "application/json")
        request.add_unredirected_header("Authorization", f"Bearer {self.key}")
        return request

    def _attempt(
        self, method: str, path: str, data: bytes | None, headers: Mapping[str, str], timeout: float
    ) -> ApiResponse:
        request = self._request(method, path, data, headers)
        try:
            with self._opener.open(request, timeout=timeout) as response:
                raw = self._read(response)
                return self._answer(response.status, response.headers, raw)
        except urllib.error.HTTPError as exc:
            try:
                return self._error_answer(method, path, exc)
            finally:
                exc.close()
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLCertVerificationError):  # configuration, not a blip
                where = self.display_url(path)
                raise ApiError(f"{method} {where}: TLS certificate not trusted: {reason}") from None
            raise _Retryable(_network_reason(reason)) from None
        except (OSError, http.client.HTTPException) as exc:  # timeouts, resets, truncated bodies
            raise _Retryable(_network_reason(exc)) from None
        except ValueError as exc:  # a malformed URL
            raise ApiError(f"{method} {self.display_url(path)}: {exc}") from None

    def _error_answer(self, method: str, path: str, exc: urllib.error.HTTPError) -> ApiResponse:
        if 300 <= exc.code < 400:
            where = clean(exc.headers.get("Location", "elsewhere"))
            raise ApiError(
                f"{method} {self.display_url(path)}: the server redirects (HTTP {exc.code}) to {where}; "
                f"set {URL_ENV} to the final address"
            )
        if exc.code in RETRYABLE_STATUSES:
            reason = f"HTTP {exc.code} {clean(str(exc.reason or ''))}".rstrip()
            raise _Retryable(reason, retry_after_seconds(exc.headers.get("Retry-After")))
        try:
            raw = self._read(exc)
        except (OSError, http.client.HTTPException):
            raw = b""
        return self._answer(exc.code, exc.headers, raw)

    @staticmethod
    def _read(response: Any) -> bytes:
        raw: bytes = response.read(MAX_RESPONSE_BYTES + 1)
        if len(raw) > MAX_RESPONSE_BYTES:
            raise ApiError(f"the server's answer is larger than {MAX_RESPONSE_BYTES} bytes")
        return raw

    def _answer(self, status: int, headers: Any, raw: bytes) -> ApiResponse:
        content_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        document: Any = None
        if raw:
            try:
                document = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                if 200 <= status < 300:
                    raise ApiError(f"HTTP {status} but the answer is not JSON ({content_type})") from None
        return ApiResponse(status=status, document=sanitise(document, self.key), content_type=content_type)


def _network_reason(reason: object) -> str:
    if isinstance(reason, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return f"cannot resolve the host ({reason.strerror or reason})"
    if isinstance(reason, http.client.RemoteDisconnected | ConnectionResetError):
        return "the connection closed without an answer"
    if isinstance(reason, http.client.IncompleteRead):
        return "the answer was cut short"
    return f"network error: {reason}"


def problem_error(response: ApiResponse, what: str, *, refused: frozenset[int] = frozenset()) -> ApiError:
    """The error for a non-success answer: auth → 2, unknown model/version → 3, ``refused`` → 1, else 2."""
    problem = response.problem()
    status = response.status
    if status in (401, 403):
        hint = f"check {KEY_ENV}" if status == 401 else f"the key in {KEY_ENV} lacks the permission"
        return ApiError(
            f"{what}: authentication problem (HTTP {status}; {hint}): {problem.message()}", problem=problem
        )
    if status == 404 and response.content_type == PROBLEM_TYPE:
        return ApiError(f"{what}: {problem.message()}", exit_code=EXIT_NOT_FOUND, problem=problem)
    if status == 404:
        return ApiError(f"{what}: HTTP 404 with no problem document: check {URL_ENV}", problem=problem)
    if status in refused:
        return ApiError(f"{what}: {problem.message()}", exit_code=EXIT_FAILED, problem=problem)
    return ApiError(f"{what}: HTTP {status}: {problem.message()}", problem=problem)


def add_client_options(parser: argparse.ArgumentParser) -> None:
    """``--url``, ``--timeout``, ``--retries``, ``--retry-base``: for every command calling the API."""
    parser.add_argument("--url", metavar="BASE_URL", help=f"the governance service (default: ${URL_ENV})")
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_DEADLINE,
        metavar="SECONDS",
        help=f"give up after this long in total, retries included (default {DEFAULT_DEADLINE:g})",
    )
    parser.add_argument(
        "--retries",
        type=_count,
        default=DEFAULT_RETRIES,
        metavar="N",
        help="retries after a network error, HTTP 429 or 5xx; never after an answer "
        f"(default {DEFAULT_RETRIES})",
    )
    parser.add_argument(
        "--retry-base",
        type=_positive,
        default=DEFAULT_RETRY_BASE,
        metavar="SECONDS",
        help=f"first backoff delay, doubled each retry, with jitter (default {DEFAULT_RETRY_BASE:g})",
    )


def client_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> ApiClient:
    """The client the options and ``$GOVERNANCE_URL``/``$GOVERNANCE_API_KEY`` describe."""
    policy = RetryPolicy(retries=args.retries, deadline=args.timeout, base=args.retry_base)
    return ApiClient(base=base_url(args.url, environ), key=api_key(environ), policy=policy)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text!r}")
    return value
