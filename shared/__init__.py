"""Code every Familias process shares: settings, contracts, bus, database, HTTP errors."""
