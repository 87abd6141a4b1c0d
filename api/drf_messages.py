"""Django REST framework's own messages that reach our API's clients, listed so
they are extracted into our catalogue (`manage.py translations skeleton`).

DRF marks them with gettext_lazy but ships no Welsh. Django looks a message up
in every catalogue, ours (LOCALE_PATHS) first, so a Welsh entry here for the
same English text answers DRF's `_("This field is required.")` in Welsh. Each
text must be exactly DRF's, placeholders in braces included (DRF fills them in
with str.format after translating). Nothing imports this module: it is read,
not run.

Left out: messages our error handler replaces with its own (PermissionDenied,
NotAuthenticated, NotFound, ParseError, UnsupportedMediaType, Throttled; an
invalid page is a NotFound), and those of authentication schemes we do not use.
"""

from django.utils.translation import gettext_noop

DRF_MESSAGES = (
    # Every field
    gettext_noop("This field is required."),
    gettext_noop("This field may not be null."),
    # BooleanField
    gettext_noop("Must be a valid boolean."),
    # CharField, EmailField, SlugField, URLField, UUIDField
    gettext_noop("Not a valid string."),
    gettext_noop("This field may not be blank."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Enter a valid email address."),
    gettext_noop('Enter a valid "slug" consisting of letters, numbers, underscores or hyphens.'),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Must be a valid UUID."),
    # IntegerField, FloatField
    gettext_noop("A valid integer is required."),
    gettext_noop("A valid number is required."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("String value too large."),
    gettext_noop("Integer value too large to convert to float"),
    # DateTimeField, DateField
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a datetime but got a date."),
    gettext_noop('Invalid datetime for the timezone "{timezone}".'),
    gettext_noop("Datetime value out of range."),
    gettext_noop("Date has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Expected a date but got a datetime."),
    # ChoiceField
    gettext_noop('"{input}" is not a valid choice.'),
    # ListField, DictField, a nested serializer
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("This list may not be empty."),
    gettext_noop("Ensure this field has at least {min_length} elements."),
    gettext_noop("Ensure this field has no more than {max_length} elements."),
    gettext_noop('Expected a dictionary of items but got type "{input_type}".'),
    gettext_noop("This dictionary may not be empty."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    # Exceptions whose own message reaches the client
    gettext_noop('Method "{method}" not allowed.'),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Invalid input."),
)
