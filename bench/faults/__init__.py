"""`make faults`: the pipeline under steady load, one fault at a time, checked against what
the load generator was told was accepted (`python -m bench.faults --help`)."""
