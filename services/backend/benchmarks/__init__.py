"""`make bench`: engine, service, fairness and memory figures on the random opus-mt-shaped model."""
