import pytest

import nbruntime


@pytest.fixture
def app():
    with nbruntime.App() as app:
        yield app
