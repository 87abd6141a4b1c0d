"""Community asset directory models (Open Referral UK / HSDS 3.0 shaped)."""

from assets.models.directory import (  # noqa: F401
    ACCESSIBILITY_CHOICES,
    ACCESSIBILITY_FEATURES,
    ACCESSIBILITY_LABELS,
    DAY_CHOICES,
    DAY_CODES,
    DAY_NAMES,
    GRID_CELLS_PER_DEGREE,
    STALE_AFTER_DAYS,
    Capacity,
    Contact,
    LinkType,
    Location,
    LocationType,
    MembershipRole,
    Organisation,
    OrganisationMembership,
    OrganisationType,
    PlacedBy,
    Schedule,
    ScheduleFrequency,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceAttribute,
    ServiceStatus,
    accessibility_labels,
    grid_cell_for,
    grid_cells_covering,
    is_stale,
    one_line_address,
    stale_before,
)
from assets.models.feeds import FeedRunStatus, FeedSchedule, FeedSource  # noqa: F401
from assets.models.moderation import (  # noqa: F401
    ClaimStatus,
    OrganisationClaim,
    ProblemKind,
    ProblemReport,
    ReviewReminder,
)
from assets.models.search import SearchEntry  # noqa: F401
from assets.models.taxonomy import (  # noqa: F401
    SOCIAL_PRESCRIBING_TAXONOMY_SLUG,
    Taxonomy,
    TaxonomyTerm,
    stable_uuid,
)
