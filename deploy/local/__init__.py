"""The local stack: embedded PostgreSQL, NATS and Temporal from pip wheels, and our processes."""
