"""kstellar-tui: a terminal application for KubeStellar."""

__version__ = "0.1.0"
