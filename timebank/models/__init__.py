"""The timebank's core domain models, one module per subject."""

from timebank.models.exchanges import Exchange, ExchangeHistory, ExchangeReceiver, ExchangeStatus  # noqa: F401
from timebank.models.ledger import (  # noqa: F401
    Account,
    AccountDay,
    AccountKind,
    Entry,
    LedgerDay,
    LimitOverride,
    PartnerDay,
    Transfer,
    TransferKind,
    TransferNote,
)
from timebank.models.listings import CarersBreak, Category, Listing, ListingKind, ListingStatus, Where  # noqa: F401
from timebank.models.members import (  # noqa: F401
    Availability,
    CommunicationNeed,
    GuardianConsentMethod,
    Member,
    MemberStatus,
)
from timebank.models.safeguarding import (  # noqa: F401
    CategoryRestriction,
    Incident,
    SafeguardingCheck,
    SafeguardingCheckKind,
    SafeguardingOverride,
    SafeguardingOverrideIsAppendOnlyError,
)
from timebank.models.timebanks import Timebank  # noqa: F401
from timebank.models.users import Role, User  # noqa: F401
