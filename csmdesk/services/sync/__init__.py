"""Two-way sync with a CRM (HubSpot first, then Salesforce): the outbox of local changes, the
field mapping, pulls and pushes, conflicts and the log of runs.

Importing this package registers the outbox's session listener (see :mod:`.outbox`).
"""

from csmdesk.services.sync import outbox as outbox
