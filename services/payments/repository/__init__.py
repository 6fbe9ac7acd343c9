"""Payments's SQL, one module per aggregate: the only place that builds statements."""
