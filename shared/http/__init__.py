"""HTTP pieces every FastAPI service shares: problem+json errors, health, readiness."""
