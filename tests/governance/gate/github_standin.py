"""A loopback stand-in for the two GitHub REST endpoints a deployment protection rule calls.

It checks what GitHub documents, written from the documentation with ``cryptography`` and the standard
library only (it never imports the service's signer, so a bug there cannot cancel out here):

* ``POST {base}/app/installations/{installation_id}/access_tokens`` ("Generating an installation access
  token for a GitHub App"): ``Authorization: Bearer <JWT>`` where the JWT is RS256 over ``iat``, ``exp``
  and ``iss`` = the App id, verified with the App's public key, ``iat`` not in the future (GitHub
  recommends 60 s in the past), ``exp`` at most 10 minutes ahead. Answers 201 with a fresh token.
* ``POST {base}/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule`` ("Review custom
  deployment protection rules for a workflow run"): ``Authorization: Bearer <that token>`` (or
  ``token <that token>``), ``Accept: application/vnd.github+json``, a JSON body with
  ``environment_name``, ``state`` (``approved`` or ``rejected``) and ``comment``. Answers 204.

Every request is recorded; every departure from the above is recorded in ``problems`` (and answered as
GitHub would: 401 for bad credentials, 422 for a bad body). ``review_script`` scripts the review
endpoint's answers (e.g. 500 then the default 204).
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

BASE_PATH = "/api/v3"  # as on GitHub Enterprise Server: the base URL has a path, which must be kept
TOKEN_PATH = re.compile(rf"^{BASE_PATH}/app/installations/(\d+)/access_tokens$")
REVIEW_PATH = re.compile(
    rf"^{BASE_PATH}/repos/([^/]+)/([^/]+)/actions/runs/(\d+)/deployment_protection_rule$"
)


@dataclass
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class GitHubStandIn:
    """What the stand-in knows (the App and its installation) and what it saw."""

    app_id: int
    installation_id: int
    public_key: rsa.RSAPublicKey
    url: str = ""
    calls: list[Call] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)
    review_script: deque[int] = field(default_factory=deque)
    token_script: deque[int] = field(default_factory=deque)

    @property
    def reviews(self) -> list[Call]:
        return [c for c in self.calls if REVIEW_PATH.match(c.path)]

    @property
    def token_requests(self) -> list[Call]:
        return [c for c in self.calls if TOKEN_PATH.match(c.path)]

    def callback_url(self, owner: str = "octocat", repo: str = "Hello-World", run_id: int = 30433642) -> str:
        return f"{self.url}/repos/{owner}/{repo}/actions/runs/{run_id}/deployment_protection_rule"

    # --- checks, from the documentation ------------------------------------------------------------

    def jwt_problems(self, authorization: str) -> list[str]:
        scheme, _, jwt = authorization.partition(" ")
        if scheme != "Bearer" or jwt.count(".") != 2:
            return [f"token exchange: expected 'Authorization: Bearer <JWT>', got {authorization[:20]!r}"]
        head_b64, claims_b64, signature_b64 = jwt.split(".")

        def decode(part: str) -> bytes:
            return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))

        header, claims = json.loads(decode(head_b64)), json.loads(decode(claims_b64))
        problems = []
        if header.get("alg") != "RS256":
            problems.append(f"JWT alg is {header.get('alg')!r}, not RS256")
        try:
            self.public_key.verify(
                decode(signature_b64),
                f"{head_b64}.{claims_b64}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except InvalidSignature:
            problems.append("JWT signature does not verify with the App's public key")
        now = time.time()
        if str(claims.get("iss")) != str(self.app_id):
            problems.append(f"JWT iss is {claims.get('iss')!r}, not the App id {self.app_id}")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, int) or not isinstance(exp, int):
            problems.append("JWT iat/exp are not integers")
        else:
            if iat > now + 1:
                problems.append("JWT iat is in the future")
            if exp <= now or exp > now + 600:
                problems.append("JWT exp is not within the next 10 minutes")
        return problems

    def review_problems(self, call: Call) -> list[str]:
        problems = []
        scheme, _, token = call.headers.get("authorization", "").partition(" ")
        if scheme not in ("Bearer", "token") or token not in self.tokens:
            problems.append("review: not authorized with an installation token this stand-in issued")
        if call.headers.get("accept") != "application/vnd.github+json":
            problems.append(f"review: Accept is {call.headers.get('accept')!r}")
        try:
            body = call.json
        except ValueError:
            return [*problems, "review: body is not JSON"]
        if not isinstance(body, dict) or set(body) - {"environment_name", "state", "comment"}:
            problems.append(
                f"review: unexpected body keys {sorted(body) if isinstance(body, dict) else body}"
            )
            return problems
        if not isinstance(body.get("environment_name"), str) or not body["environment_name"]:
            problems.append("review: environment_name missing")
        if body.get("state") not in ("approved", "rejected"):
            problems.append(f"review: state is {body.get('state')!r}")
        if not isinstance(body.get("comment"), str) or len(body["comment"]) > 1024:
            problems.append("review: comment missing or over 1024 characters")
        return problems


def _handler(standin: GitHubStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: dict[str, Any] | None = None) -> None:
            raw = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            if body is not None:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(raw)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(raw)
            self.close_connection = True

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            call = Call("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            standin.calls.append(call)
            if match := TOKEN_PATH.match(self.path):
                problems = self.token_problems(call, int(match.group(1)))
                if problems:
                    standin.problems += problems
                    return self._answer(401, {"message": "A JSON web token could not be decoded"})
                status = standin.token_script.popleft() if standin.token_script else 201
                if status != 201:
                    return self._answer(status, {"message": "Server Error"})
                token = "ghs_" + secrets.token_urlsafe(27)
                standin.tokens.append(token)
                expires = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
                return self._answer(201, {"token": token, "expires_at": expires, "permissions": {}})
            if REVIEW_PATH.match(self.path):
                problems = standin.review_problems(call)
                if problems:
                    standin.problems += problems
                    return self._answer(422, {"message": "Validation Failed"})
                status = standin.review_script.popleft() if standin.review_script else 204
                return self._answer(status, None if status == 204 else {"message": "Server Error"})
            standin.problems.append(f"unexpected POST {self.path}")
            return self._answer(404, {"message": "Not Found"})

        def token_problems(self, call: Call, installation_id: int) -> list[str]:
            problems = standin.jwt_problems(call.headers.get("authorization", ""))
            if installation_id != standin.installation_id:
                problems.append(f"token exchange for unknown installation {installation_id}")
            if call.headers.get("accept") != "application/vnd.github+json":
                problems.append(f"token exchange: Accept is {call.headers.get('accept')!r}")
            return problems

        def do_GET(self) -> None:
            standin.problems.append(f"unexpected GET {self.path}")
            self._answer(405, {"message": "Method Not Allowed"})

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def serve(standin: GitHubStandIn) -> ThreadingHTTPServer:
    """Start the stand-in on a free loopback port; ``standin.url`` becomes its API base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(standin))
    server.daemon_threads = True
    server.block_on_close = False
    standin.url = f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"
    threading.Thread(target=server.serve_forever, name="github-standin", daemon=True).start()
    return server
