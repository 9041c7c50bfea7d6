"""Headers (issue 10 finding 8): CSP on the admin and the API docs, HSTS and the SSL redirect from the
environment, and ``manage.py check --deploy`` clean with production settings."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.governance.jobs import processes

ROOT = Path(__file__).resolve().parents[3]


def csp(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api/docs/", "/"])
def test_pages_carry_a_csp_with_scripts_from_this_origin_only(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = csp(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    html = response.content.decode()
    inline = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    assert inline == [], f"inline scripts would be blocked: {inline}"


@pytest.mark.django_db
def test_swagger_ui_init_script_is_served_as_a_file(client):
    page = client.get("/api/docs/").content.decode()
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium (headless) to render the page")
def test_swagger_ui_renders_under_the_csp_in_a_browser(tmp_path):
    """The policy is what a browser enforces: Swagger UI must still build its operation list.

    gunicorn with the environment's settings: the docs page and its schema read no database.
    """
    port = processes.free_port()
    web = processes.start_web(dict(os.environ), port, tmp_path / "web.log")
    try:
        result = subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/api/docs/",
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        processes.kill(web)
    assert "opblock-summary-path" in result.stdout, result.stderr[-2000:]
    assert "Content Security Policy" not in result.stderr, result.stderr[-2000:]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "SESSION_COOKIE", "DJANGO_", "ALLOWED_HOSTS", "SECRET_KEY"))
    }
    env.update(
        DJANGO_DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="governance.example.com",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        SECURE_SSL_REDIRECT="true",
        SESSION_COOKIE_SECURE="true",
        GOVERNANCE_VAR_DIR=str(tmp_path / "var"),
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_warns_when_the_environment_leaves_tls_off(tmp_path):
    env = production_env(tmp_path, SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="false")
    result = manage(env, "check", "--deploy")
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


@pytest.mark.django_db
def test_hsts_and_ssl_redirect_follow_the_settings(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    redirected = client.get("/admin/login/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")
    assert client.get("/-/alive").status_code == 200  # probes stay on plain http
    secure = client.get("/admin/login/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
