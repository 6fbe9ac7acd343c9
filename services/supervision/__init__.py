"""Supervision: the web console, family timelines, dashboards and reports (reads only)."""
