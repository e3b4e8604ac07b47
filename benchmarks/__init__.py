"""The benchmark suite: `python -m benchmarks [--quick]` runs every benchmark and prints one table."""
