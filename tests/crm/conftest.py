"""Fixtures for the CRM tests: a running fake HubSpot (see ``tests/crm/hubspot_fake.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.crm.hubspot_fake import HubSpotFake


@pytest.fixture
def hubspot_fake() -> Iterator[HubSpotFake]:
    """A running fake with HubSpot's default limits; ``.base_url`` and ``.token`` for a client."""
    with HubSpotFake() as fake:
        yield fake


@pytest.fixture
def make_hubspot_fake() -> Iterator[Callable[..., HubSpotFake]]:
    """Start fakes with other settings (``make_hubspot_fake(burst_limit=3)``); all are stopped
    at the end of the test."""
    fakes: list[HubSpotFake] = []

    def make(**settings: Any) -> HubSpotFake:
        fake = HubSpotFake(**settings).start()
        fakes.append(fake)
        return fake

    yield make
    for fake in fakes:
        fake.stop()
