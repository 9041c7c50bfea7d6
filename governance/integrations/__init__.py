"""Integrations with outside systems. Each is an app at the edge of the dependency graph: it uses the
domain apps, and nothing imports it except the URL map and the settings."""
