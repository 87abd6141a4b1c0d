"""Carers' details in the personal-data registry and erasure (privacy/registry.py).
Imported by privacy.selectors.

The carer and young-carer fields live on timebank.Member, which the export
already covers (privacy.selectors). What erasure must also blank there:

- who the member looks after, in their own words (`cares_for`), and the link
  to the member they look after (`cares_for_member`): both describe another
  person, often their health;
- a young carer's parent or guardian: name, relationship and how consent was
  given. When consent was recorded (`guardian_consent_at`) and by whom are
  kept: a record that approval followed the rule, with nothing about the
  guardian in it.

`is_carer` and `under_18` stay: yes/no answers that keep the timebank's
figures right and say nothing more about the person once their name is gone.
Carers' break requests are listings, whose text erasure already blanks.
"""

from __future__ import annotations

from typing import Any

from privacy.registry import register_member_eraser

CARER_FIELDS_BLANKED = {
    "cares_for": "",
    "cares_for_member": None,
    "guardian_name": "",
    "guardian_relationship": "",
    "guardian_consent_method": "",
}


def erase_carer_details(member: Any) -> None:
    """Blank who the member looks after and their guardian's details (called
    with the locked Member inside privacy.services.member_erase's transaction)."""
    for name, blank in CARER_FIELDS_BLANKED.items():
        setattr(member, name, blank)
    member.save(update_fields=list(CARER_FIELDS_BLANKED))


register_member_eraser(erase_carer_details)
