"""Setup backends that need more than `kstellar_tui.core` may know.

The sandbox backend lives here, not in core: it reuses the sandbox's own admin client (state
dir layout, CA, token) instead of a second copy of it, and core never imports the sandbox."""
