"""Plans's HTTP endpoints: one thin `router` per aggregate; only main.py imports them."""
