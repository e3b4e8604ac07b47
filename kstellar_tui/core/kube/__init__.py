"""Talking to Kubernetes: kubeconfig contexts, clients, list+watch loops."""
