"""Compliance reports: exports that gather a version's records into one document (the ML-BOM first)."""
