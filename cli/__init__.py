"""`familias`: the operator's command line (Typer + Rich, messages in Spanish)."""
