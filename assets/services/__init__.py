"""Every write to the directory. Import from here: `from assets.services import ...`."""
from assets.services.directory import (  # noqa: F401
    EDITABLE_SERVICE_FIELDS,
    capacity_update,
    organisation_claim_approve,
    organisation_claim_reject,
    organisation_claim_request,
    organisation_create,
    problem_report_create,
    problem_report_resolve,
    review_reminders_send,
    service_mark_reviewed,
    service_update,
)
from assets.openreferral.importer import (  # noqa: F401
    ImportSummary,
    RecordError,
    SourceError,
    openreferral_import,
    service_import_record,
)
