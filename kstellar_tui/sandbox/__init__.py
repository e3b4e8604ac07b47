"""The embedded KubeStellar sandbox: a Kubernetes-compatible API server on loopback.

Never imports Textual (a test enforces it)."""
