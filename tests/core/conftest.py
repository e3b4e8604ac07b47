import pytest

from tests.core.fleet_builders import new_store


@pytest.fixture()
def store():
    return new_store()
