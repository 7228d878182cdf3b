"""The stack on a simulated multi-node Swarm: several dockerd in network namespaces (issue 13)."""
