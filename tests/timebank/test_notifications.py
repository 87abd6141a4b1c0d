"""notify(): plain-text e-mail sent only when the transaction commits (docs/quality.md L12)."""

import pytest
from django.core import mail
from django.db import transaction

from tests.factories import MemberFactory
from timebank.models import CommunicationNeed
from timebank.notifications import notify

TEMPLATE = "emails/listing_reminder.txt"


def context(title="Dog walking"):
    from tests.factories import ListingFactory

    listing = ListingFactory(title=title)
    return {"listing": listing, "edit_path": "/my/listings/x/edit/"}


def test_it_sends_plain_text_after_commit(alice, django_capture_on_commit_callbacks):
    ctx = context()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert notify(to_member=alice, subject="Your offer\nends soon", template=TEMPLATE, context=ctx) is True
        assert mail.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [alice.email]
    assert message.subject == "TimeCommons: Your offer ends soon"
    assert "Hello Alice," in message.body and "Dog walking" in message.body
    assert "http://" in message.body and message.content_subtype == "plain"


def test_nothing_is_sent_when_the_transaction_rolls_back(alice, django_capture_on_commit_callbacks):
    ctx = context()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        with transaction.atomic():
            notify(to_member=alice, subject="Hello", template=TEMPLATE, context=ctx)
            raise RuntimeError("rolled back")
    assert callbacks == [] and mail.outbox == []


@pytest.mark.parametrize(
    "fields",
    [
        {"user": None, "email": ""},
        {"communication_needs": [CommunicationNeed.NO_EMAIL]},
    ],
)
def test_members_without_e_mail_get_nothing_and_the_caller_is_told(fields, db, django_capture_on_commit_callbacks):
    member = MemberFactory(**fields)
    ctx = context()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert notify(to_member=member, subject="Hello", template=TEMPLATE, context=ctx) is False
    assert callbacks == [] and mail.outbox == []


def test_a_member_with_only_a_login_address_is_written_to_there(db, django_capture_on_commit_callbacks):
    member = MemberFactory(email="", user__email="only-login@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(to_member=member, subject="Hello", template=TEMPLATE, context=context())
    assert mail.outbox[0].to == ["only-login@example.org"]


def test_a_mail_server_fault_after_commit_does_not_raise(alice, django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "tests.timebank.test_notifications.BrokenBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(to_member=alice, subject="Hello", template=TEMPLATE, context=context())


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("mail server down")
