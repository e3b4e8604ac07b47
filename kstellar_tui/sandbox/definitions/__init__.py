"""Our own definitions of the KubeStellar, OCM and KubeFlex custom resources.

They are CRD objects that the simulated components install into a space, as the real ones do:
KubeFlex's chart into the hosting cluster (`HOSTING_CRDS`), `clusteradm init` into the ITS
(`HUB_CRDS`), the status add-on into the ITS (`WORK_STATUS`), the KubeStellar controller-manager
into its WDS (`WDS_CRDS`) and `clusteradm join` into a WEC (`AGENT_CRDS`). Tests check them
against the upstream CRDs; nothing here reads upstream files."""

from __future__ import annotations

from typing import Any

from kstellar_tui.sandbox.definitions.kubeflex import HOSTING_CRDS
from kstellar_tui.sandbox.definitions.kubestellar import WDS_CRDS, WORK_STATUS
from kstellar_tui.sandbox.definitions.ocm import AGENT_CRDS, HUB_CRDS

ALL_CRDS: tuple[dict[str, Any], ...] = (*HOSTING_CRDS, *HUB_CRDS, WORK_STATUS, *WDS_CRDS, *AGENT_CRDS)

__all__ = ["AGENT_CRDS", "ALL_CRDS", "HOSTING_CRDS", "HUB_CRDS", "WDS_CRDS", "WORK_STATUS"]
