"""DRF's JSON parser, with a body nested too deeply for Python's json module
(RecursionError, which DRF does not catch) a 400 parse_error like any other
broken JSON, not a 500."""
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply")
