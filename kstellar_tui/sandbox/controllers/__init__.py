"""Simulated KubeStellar, OCM and KubeFlex controllers, running in-process against the stores."""
