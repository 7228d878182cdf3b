"""Developer tools of the backend (random models for tests and benchmarks)."""
