"""Tests and test doubles for CRM integrations (a loopback fake of HubSpot's CRM API)."""
