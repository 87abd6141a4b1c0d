"""The SNOMED CT concepts written to the GP record at the moments of a
social-prescribing referral, in one table (docs/referrals.md).

Each moment maps to one concept id and its preferred term. The committed list
the test checks against, with where each code comes from, is
referrals/data/snomed_social_prescribing.csv.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Concept:
    code: str
    term: str


# Moments in the person's referral (referrals/gp_events.py decides when each happens).
REFERRED = "referred"
DECLINED = "declined"

CONCEPTS: dict[str, Concept] = {
    REFERRED: Concept("871731000000106", "Referral to social prescribing service"),
    DECLINED: Concept("871711000000103", "Social prescribing declined"),
}

TERMS_BY_CODE: dict[str, str] = {c.code: c.term for c in CONCEPTS.values()}


def term_for(code: str) -> str:
    return TERMS_BY_CODE.get(code, "")
