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


# The fake Salesforce (see ``tests/crm/salesforce_fake.py``).

from tests.crm.salesforce_fake import SalesforceFake  # noqa: E402


@pytest.fixture
def salesforce_fake() -> Iterator[SalesforceFake]:
    """A running fake org with Salesforce's defaults; ``.base_url`` (the instance URL),
    ``.token``, ``.refresh_token`` and ``.client_id`` for a client."""
    with SalesforceFake() as fake:
        yield fake


@pytest.fixture
def make_salesforce_fake() -> Iterator[Callable[..., SalesforceFake]]:
    """Start fakes with other settings (``make_salesforce_fake(query_batch_size=200)``); all
    are stopped at the end of the test."""
    fakes: list[SalesforceFake] = []

    def make(**settings: Any) -> SalesforceFake:
        fake = SalesforceFake(**settings).start()
        fakes.append(fake)
        return fake

    yield make
    for fake in fakes:
        fake.stop()
