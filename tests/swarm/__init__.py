"""End-to-end test of the real stack on a real single-node Docker Swarm (issue 5)."""
