"""Visits as other systems get them: one record per visit (records.py), the export (export.py)."""
