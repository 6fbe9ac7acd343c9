"""Payments: tariffs, entitlements, payment orders, bank files, reconciliation, ledger."""
