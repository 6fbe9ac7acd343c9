"""Plans: diagnosis, intervention plan, sessions, evaluation and abandonment records."""
