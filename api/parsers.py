"""The API's JSON parser: DRF's, with the nesting limit of core.jsonlimit, so a
body nested too deeply is a 400 with a message saying so, not a 500."""

import codecs

from django.utils.translation import ngettext
from rest_framework import parsers
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings
from rest_framework.utils import json

from core.jsonlimit import MAX_DEPTH, JSONTooDeepError, json_loads_limited


class JSONTooDeepParseError(ParseError):
    """Its message (how deep is allowed) reaches the client; other parse errors get
    the handler's fixed message."""

    default_code = "parse_error"


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.getreader(encoding)(stream).read()
            parse_constant = json.strict_constant if api_settings.STRICT_JSON else None
            return json_loads_limited(text, parse_constant=parse_constant)
        except JSONTooDeepError:
            message = ngettext(
                "The JSON is nested more than %(count)s level deep.",
                "The JSON is nested more than %(count)s levels deep.",
                MAX_DEPTH,
            ) % {"count": MAX_DEPTH}
            raise JSONTooDeepParseError(message) from None
        except ValueError as exc:  # not JSON, or not in the declared charset
            # Never shown: the handler answers every other parse error with its own message.
            raise ParseError(f"JSON parse error - {exc}") from None
