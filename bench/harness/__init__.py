"""What `make bench` and `make faults` share: private services (`stack`), processes and
their clean-up (`procs`), the load generator (`load`), what the pipeline did (`observe`), and
the pure parts: statistics (`stats`), accounting (`ledger`) and the result tables
(`report`)."""
