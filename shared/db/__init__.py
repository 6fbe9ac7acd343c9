"""Async SQLAlchemy engine, declarative base helpers, outbox, command log, migrations."""
