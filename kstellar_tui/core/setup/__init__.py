"""Guided setup of KubeStellar (Getting Started, v0.30.0) as data: prerequisite checks, ordered
steps with their exact upstream commands, "already done" checks and waits that read the
Kubernetes API, a bash rendering of the same plan, and the engine that runs it.

Nothing here imports Textual or the sandbox: the host backend runs the real CLIs, and the
sandbox backend (in `kstellar_tui.setup_runners`) reaches the sandbox over its admin API."""
