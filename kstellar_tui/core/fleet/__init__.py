"""The KubeStellar domain: selectors, placement, cell states."""
