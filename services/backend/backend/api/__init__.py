"""The HTTP edge: routes, dependencies, error mapping and the request-log middleware."""
