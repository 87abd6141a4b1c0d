"""The SNOMED CT concepts written to the GP record at the moments of a
social-prescribing referral, in one table (docs/referrals.md).

Each moment maps to at most one concept id and its preferred term. The committed
list the test checks against, with where each code comes from, is
referrals/data/snomed_social_prescribing.csv. NHS England publishes national
codes only for the referral and for declining; the other moments use generic
International Edition concepts, each confirmed from a public source (a code is
never guessed). When national codes for them are published, changing one is a
row in the CSV and a line below; `record_moment` callers need not change.

SNOMED CT is © SNOMED International; the UK edition is published by NHS England.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    code: str
    term: str


SYSTEM = "http://snomed.info/sct"

# Moments in the person's referral (referrals/gp_events.py decides when each happens).
REFERRED = "referred"  # the referral is made (requested)
DECLINED = "declined"  # the person said no, before or after starting
NOT_ATTENDED = "not-attended"  # the person did not attend
SEEN = "seen"  # the person was seen: first session attended, or joined the timebank
DISCHARGED = "discharged"  # the service closed the referral (completed, or failed)

MOMENTS = (REFERRED, DECLINED, NOT_ATTENDED, SEEN, DISCHARGED)

CONCEPTS: dict[str, Concept] = {
    # National social-prescribing codes (NHS England).
    REFERRED: Concept("871731000000106", "Referral to social prescribing service"),
    DECLINED: Concept("871711000000103", "Social prescribing declined"),
    # No national social-prescribing codes for these are published: generic concepts.
    NOT_ATTENDED: Concept("281399006", "Did not attend"),
    SEEN: Concept("308335008", "Patient encounter procedure"),
    DISCHARGED: Concept("58000006", "Patient discharge"),
}

TERMS_BY_CODE: dict[str, str] = {c.code: c.term for c in CONCEPTS.values()}


def term_for(code: str) -> str:
    return TERMS_BY_CODE.get(code, "")
