"""Communication needs: the NHS Accessible Information Standard's vocabulary.

It lives in core.communication, so the timebank's member profiles keep and
show the same codes a referral carries; this module re-exports it for the
referrals code that has always imported it from here.
"""

from core.communication import (
    CATEGORIES,
    CODE,
    INTERPRETER_PREFIX,
    LABELS,
    LANGUAGE_MAX_LENGTH,
    SYNONYMS,
    interpreter_code,
    is_need_code,
    need_code,
    need_label,
)

__all__ = [
    "CATEGORIES",
    "CODE",
    "INTERPRETER_PREFIX",
    "LABELS",
    "LANGUAGE_MAX_LENGTH",
    "SYNONYMS",
    "interpreter_code",
    "is_need_code",
    "need_code",
    "need_label",
]
