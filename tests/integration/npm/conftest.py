"""The official AsyncAPI parser (``@asyncapi/parser``, installed by ``make npm``) for the
tests here; each of them carries the ``npm`` marker."""

from tests import asyncapi_fixtures

asyncapi_parser = asyncapi_fixtures.asyncapi_parser
asyncapi_check = asyncapi_fixtures.asyncapi_check
