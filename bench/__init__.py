"""Benchmarks: `make bench`. Results are recorded, with their command, in bench/RESULTS.md."""
