"""The landing page at /, the admin's "View site" link to it, and the favicon."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

LINKED = ("admin:index", "swagger-ui", "schema", "jwks", "alive", "ready")


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_landing_page_describes_the_service_and_links_onward():
    response = Client().get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<title>ModelOps Governance</title>" in html
    assert "tamper-evident audit trail" in html
    links = hrefs(html)
    for name in LINKED:
        assert reverse(name) in links, name
    assert "/static/governance/favicon.svg" in links


def test_landing_page_has_no_script_and_nothing_from_another_host():
    html = Client().get("/").content.decode()
    assert "<script" not in html.lower()
    assert not re.search(r'(src|href)="(https?:)?//', html), "everything is served by this host"


def test_every_link_on_the_landing_page_answers():
    client = Client()
    for href in hrefs(client.get("/").content.decode()):
        response = client.get(href)
        # The admin sends anonymous visitors to its login page; everything else answers directly.
        expected = (302,) if href == reverse("admin:index") else (200,)
        assert response.status_code in expected, (href, response.status_code)


def test_landing_page_only_answers_reads():
    client = Client()
    assert client.head("/").status_code == 200
    assert client.post("/").status_code == 405


def test_landing_page_names_the_signed_in_user(admin_client):
    assert "Signed in as admin." in admin_client.get("/").content.decode()


def test_admin_view_site_link_leads_to_the_landing_page(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert re.search(r'<a href="/">View site</a>', html), "the admin's View site link"


def test_favicon_ico_redirects_to_the_svg_icon():
    client = Client()
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/governance/favicon.svg"
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    root = ET.fromstring(b"".join(icon.streaming_content))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_landing_stylesheet_is_served_locally():
    response = Client().get("/static/governance/landing.css")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
