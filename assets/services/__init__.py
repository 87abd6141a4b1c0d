"""Every write to the directory. Import from here: `from assets.services import ...`."""

from assets.openreferral.importer import (
    openreferral_import as openreferral_import,
    service_import_record as service_import_record,
)
from assets.openreferral.report import (
    ImportSummary as ImportSummary,
    RecordError as RecordError,
    SourceError as SourceError,
)
from assets.services.directory import (
    EDITABLE_SERVICE_FIELDS as EDITABLE_SERVICE_FIELDS,
    capacity_update as capacity_update,
    organisation_claim_approve as organisation_claim_approve,
    organisation_claim_reject as organisation_claim_reject,
    organisation_claim_request as organisation_claim_request,
    organisation_create as organisation_create,
    problem_report_create as problem_report_create,
    problem_report_resolve as problem_report_resolve,
    review_reminders_send as review_reminders_send,
    service_mark_reviewed as service_mark_reviewed,
    service_update as service_update,
)
from assets.services.feeds import (
    due_feeds as due_feeds,
    feed_source_save as feed_source_save,
    feed_url_problem as feed_url_problem,
    request_run as request_run,
    run_feed as run_feed,
)
