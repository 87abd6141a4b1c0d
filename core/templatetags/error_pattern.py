"""The GOV.UK error pattern's page title: "Error: " before the title of any
page that shows a form's errors.

base.html wraps its title block in {% error_title %}…{% enderror_title %}, so
every page gets the prefix from one place: a page needs no code of its own.
The tag looks through the page's context for forms and formsets that have
already been validated and have errors. It never validates a form itself
(that could run queries or count a failed log-in): a view that shows a form's
errors has validated it already. A title that already starts with "Error:"
(pages that set it themselves) is left as it is.
"""

from django import template
from django.forms import BaseForm
from django.forms.formsets import BaseFormSet
from django.utils.translation import gettext_lazy

register = template.Library()

# The title's prefix: "Error:" and a space, in the page's language.
PREFIX = gettext_lazy("Error:")


def _shows_errors(value: object) -> bool:
    if isinstance(value, BaseForm):
        # Private, but the one way to ask "validated, with errors" without validating.
        errors = getattr(value, "_errors", None)
        return bool(errors)
    if isinstance(value, BaseFormSet):
        errors = getattr(value, "_errors", None)
        if errors is None:
            return False
        return bool(getattr(value, "_non_form_errors", None)) or any(errors)
    return False


def page_has_form_errors(context: template.Context) -> bool:
    """True when any validated form or formset in the context has errors, or
    a view set `page_has_errors`."""
    values = list(context.flatten().values())
    # A view may pass its forms in a list, like [{"action": "record", "form": form}, …] or (action, form).
    for value in list(values):
        if isinstance(value, (tuple, list)):
            for item in value[:20]:
                values.extend(item.values() if isinstance(item, dict) else [item])
    return any(_shows_errors(value) for value in values) or context.get("page_has_errors") is True


class ErrorTitleNode(template.Node):
    # The block inside must stay reachable as `nodelist`, so {% extends %} finds it.
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist: template.NodeList):
        self.nodelist = nodelist

    def render(self, context: template.Context) -> str:
        title = self.nodelist.render(context)
        prefix = str(PREFIX)
        if page_has_form_errors(context) and not title.lstrip().startswith(prefix):
            return f"{prefix} {title.lstrip()}"
        return title


@register.tag("error_title")
def error_title(parser: template.base.Parser, token: template.base.Token) -> ErrorTitleNode:
    nodelist = parser.parse(("enderror_title",))
    parser.delete_first_token()
    return ErrorTitleNode(nodelist)
