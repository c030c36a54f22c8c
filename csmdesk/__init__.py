"""CSM Desk: an offline-first desktop workbench for Customer Success Managers."""

from __future__ import annotations

from importlib import metadata

APP_NAME = "CSM Desk"
APP_ID = "csmdesk"
ORG_NAME = "CSM Desk"
ORG_DOMAIN = "csmdesk.app"

try:
    __version__ = metadata.version("csmdesk")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
