"""Test support shared by the services' tests and the cross-service tests in tests/."""
