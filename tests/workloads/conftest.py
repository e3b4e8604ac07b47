"""Workload tests run on a quickstart sandbox per module (tests/quickstart.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.quickstart import Hub, running_quickstart

pytestmark = pytest.mark.kubectl


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    with running_quickstart(tmp_path_factory.mktemp("workloads-hub")) as h:
        yield h
