"""A sync with Salesforce: the HubSpot sync's engine (outbox, three-way merge, conflicts,
exactly-once creates, the run log) over Salesforce's Accounts, Contacts and Opportunities.

Salesforce records are turned into the shape the engine reads (``id``, ``properties``,
``archived``, ``updatedAt``), so pulling, merging and pushing are the same code. What differs:

- one pull per object by ``SystemModstamp`` through ``queryAll`` (first sync and later ones
  alike); deleted records come as ``IsDeleted`` and archive their account here;
- Salesforce stamps to the second and the watermark's second is read again, so records are
  de-duplicated by content: re-applying one is harmless (the merge sees nothing new);
- a contact's account is its ``AccountId`` (no association calls);
- notes and touchpoints go out as completed Tasks on the account, the CSM Desk id in their
  subject; a retry of a create that may have landed looks for that subject first.
"""

from __future__ import annotations

import re
from typing import Any

from csmdesk.services.sync import mapping as m
from csmdesk.services.sync import state
from csmdesk.services.sync.hubspot_sync import HubSpotSync

PROVIDER = "salesforce"
OBJECTS = {"account": "Account", "contact": "Contact", "opportunity": "Opportunity"}
DEFAULTS = {
    "account.name": "Name",
    "account.domain": "Website",
    "account.industry": "Industry",
    "account.owner": "OwnerId",
    "contact.first_name": "FirstName",
    "contact.last_name": "LastName",
    "contact.email": "Email",
    "contact.title": "Title",
    "contact.phone": "Phone",
}
# Salesforce's default opportunity stages, in the HubSpot stage names the engine knows.
STAGES = {
    "prospecting": "appointmentscheduled",
    "qualification": "qualifiedtobuy",
    "needs analysis": "qualifiedtobuy",
    "value proposition": "presentationscheduled",
    "id. decision makers": "decisionmakerboughtin",
    "perception analysis": "decisionmakerboughtin",
    "proposal/price quote": "contractsent",
    "negotiation/review": "contractsent",
    "closed won": "closedwon",
    "closed lost": "closedlost",
}


def domain_of(website: Any) -> str | None:
    """``https://www.acme.com/about`` → ``acme.com``."""
    text = str(website or "").strip().lower()
    if not text:
        return None
    text = re.sub(r"^[a-z]+://", "", text).split("/")[0].split("?")[0]
    return text[4:] if text.startswith("www.") else text


class SalesforceSync(HubSpotSync):
    provider = PROVIDER
    objects = OBJECTS
    name = "Salesforce"

    # --- preparing: mapping and owners ---------------------------------------------------

    def _prepare(self) -> None:
        with self.db.session() as s:
            stored = state.get(s, self.provider, "mapping")
        described = {
            "companies": self.client.describe("Account").get("fields", []),
            "contacts": self.client.describe("Contact").get("fields", []),
        }
        if stored and not self.full:
            mapping = m.Mapping.from_json(stored)
        else:
            proposed = m.propose(described)
            custom = {k: v for k, v in proposed.properties.items() if k not in m.HUBSPOT_DEFAULTS}
            mapping = m.Mapping({**DEFAULTS, **custom}, {})
            if stored:
                kept = m.Mapping.from_json(stored)
                mapping = m.Mapping({**mapping.properties, **kept.properties}, kept.policies)
        if self.overrides:
            known = {str(f["name"]) for fields in described.values() for f in fields}
            mapping = m.apply_overrides(mapping, self.overrides, known)
        self.mapping = mapping
        self.owners = {}
        for page in self.client.iter_query("SELECT Id, Name FROM User"):
            for user in page.results:
                self.owners[str(user["Id"])] = str(user.get("Name") or user["Id"])
        if not self.dry_run:
            with self.db.session() as s:
                state.put(s, self.provider, "mapping", mapping.to_json())
                state.put(s, self.provider, "connected", "1")

    # --- pull -------------------------------------------------------------------------------

    def _properties(self, entity: str) -> list[str]:
        if entity == "opportunity":
            return ["Name", "Amount", "CloseDate", "StageName", "AccountId"]
        fields = set(self.mapping.of(entity).values())
        if entity == "contact":
            fields.add("AccountId")
        return sorted(fields)

    def _pull(self, entity: str) -> None:
        sobject = self.objects[entity]
        count = 0
        for page in self.client.iter_modified(
            sobject, self._since(sobject), self._properties(entity)
        ):
            results = [self._shape(entity, r) for r in page.results]
            links = {
                r["id"]: [str(r["properties"]["AccountId"])]
                for r in results
                if r["properties"].get("AccountId")
            }
            count += self._apply_page(entity, results, links, page.max_modified_ms)
            self._step(f"{sobject}: {count:,} pulled")

    def _shape(self, entity: str, record: dict) -> dict:
        """A Salesforce record as the engine reads records."""
        props = {k: v for k, v in record.items() if k != "attributes"}
        if entity == "account" and "Website" in props:
            props["Website"] = domain_of(props["Website"])
        if entity == "opportunity":
            stage = str(props.get("StageName") or "").strip().lower()
            props = {
                "dealname": props.get("Name"),
                "amount": props.get("Amount"),
                "closedate": props.get("CloseDate"),
                "dealstage": STAGES.get(stage, ""),
                "AccountId": props.get("AccountId"),
            }
        props["lastmodifieddate"] = record.get("SystemModstamp")
        return {
            "id": str(record["Id"]),
            "properties": props,
            "archived": bool(record.get("IsDeleted")),
            "updatedAt": record.get("SystemModstamp"),
        }

    @staticmethod
    def _unchanged(ref: Any, record: dict) -> bool:
        return False  # second-precision stamps: compare by content (the merge does)

    def _pull_notes(self) -> None:
        return None  # Salesforce Tasks and notes are not pulled yet

    def _pull_archived(self) -> None:
        return None  # deletions arrive through queryAll as IsDeleted records

    # --- push -------------------------------------------------------------------------------

    def _create_contact(self, row: Any, obj: Any, properties: dict[str, str],
                        sent: dict[str, str | None], account_ref: Any) -> bool:  # fmt: skip
        def lookup() -> str | None:
            if not obj.email:
                return None
            found = self.client.find_by_field("Contact", "Email", [obj.email], ["Id"])
            return str(found[0]["Id"]) if found else None

        def create() -> str:
            fields = {k: v for k, v in properties.items() if v}
            fields.setdefault("LastName", obj.name or "Unknown")  # Salesforce requires one
            fields["AccountId"] = account_ref.external_id
            return str(self.client.create("Contact", fields))

        self._done(row, "contact", obj.id, self._create_once(row, lookup, create), sent)
        return True

    def _push_note(self, row: Any, obj: Any, ref: Any, account_ref: Any) -> bool:
        """A note or touchpoint as a completed Task on the account, its CSM Desk id in the
        subject (what a retry searches for)."""
        from csmdesk.services.sync.hubspot_sync import html_text

        if not self._note_ready(row, obj, account_ref):
            return False
        body, _stamp = self._note_html(obj, row)
        text = html_text(body)
        title = obj.title if row.entity == "note" else str(obj.kind).replace("_", " ").capitalize()
        subject = f"{(title or 'Note')[:200]} [CSM Desk {obj.uid}]"
        if ref is not None:
            self.client.update("Task", ref.external_id, {"Subject": subject, "Description": text})
            self._done(row, row.entity, obj.id, ref.external_id, {})
            return True

        def lookup() -> str | None:
            found = self.client.find_by_field("Task", "Subject", [subject], ["Id"])
            return str(found[0]["Id"]) if found else None

        def create() -> str:
            return str(self.client.create_task(subject, text, what_id=account_ref.external_id))

        self._done(row, row.entity, obj.id, self._create_once(row, lookup, create), {})
        return True
