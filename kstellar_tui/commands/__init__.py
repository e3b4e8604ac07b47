"""Headless subcommands that talk to a KubeStellar hub (each module has `register(parser)`)."""
