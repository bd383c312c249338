"""Benchmarks (`bench_*.py`, each a script with a baseline run beside it), the harness that
runs them all (`python -m bench.run_all`, `make bench`) and the fault suite
(`python -m bench.faults`, `make faults`)."""
