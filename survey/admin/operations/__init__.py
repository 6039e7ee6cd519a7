"""What an administrator can do to a round. The pages and the CLI call these, nothing else
writes: each function checks the round's state, makes its change and commits.

One module per concern: `rounds` (create, open, reschedule, identity), `recipients` (import,
opt-out), `mailing` (texts, mailings, exactly-once sending), `closing` (the close and its
erasure), `rates` (the dashboard's counts); `common` holds the error and the round's file
locations.
Callers import this package; the names below are its whole interface.
"""

from survey.admin.operations.closing import close_round, erasure_summary
from survey.admin.operations.common import OperationError, upload_folder
from survey.admin.operations.mailing import (
    delivery_counts,
    mail_count,
    mail_texts,
    mailing_overview,
    next_reminder,
    save_mail_texts,
    send_mailing,
    start_mailing,
)
from survey.admin.operations.rates import response_rates
from survey.admin.operations.recipients import (
    can_decline,
    change_recipient,
    decline,
    find_recipient,
    import_recipients,
    preview_import,
    store_upload,
)
from survey.admin.operations.rounds import create_round, open_round, reschedule, set_identity

__all__ = [
    "OperationError",
    "can_decline",
    "change_recipient",
    "close_round",
    "create_round",
    "decline",
    "delivery_counts",
    "erasure_summary",
    "find_recipient",
    "import_recipients",
    "mail_count",
    "mail_texts",
    "mailing_overview",
    "next_reminder",
    "open_round",
    "preview_import",
    "reschedule",
    "response_rates",
    "save_mail_texts",
    "send_mailing",
    "set_identity",
    "start_mailing",
    "store_upload",
    "upload_folder",
]
