"""Seeing the system run: Prometheus metrics, JSON-lines logs with request ids, no tokens in logs."""
