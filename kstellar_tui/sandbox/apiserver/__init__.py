"""A Kubernetes-compatible API server, enough for kubectl and the official Python client."""
