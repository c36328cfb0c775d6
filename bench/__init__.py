"""Benchmarks of the orientation bot; run them as modules, e.g. `python -m bench.bench_engine`."""
