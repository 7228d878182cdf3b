"""The red-team suite (issue 10): every attack on the running app, its services watched."""
