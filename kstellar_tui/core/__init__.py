"""Cluster-facing logic with no UI: never imports Textual (a test enforces it)."""
