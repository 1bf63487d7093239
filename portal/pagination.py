"""How the REST API pages its lists (declared once; settings.REST_FRAMEWORK makes PageNumber the default).

- Page numbers (`?page=2&page_size=100`) for the lists that stay small (chargers, id tags, sites, webhooks...):
  they come with a `count`.
- Cursors (`?cursor=…`, from the `next` and `previous` links) for the lists that grow without end (message log,
  connection attempts, meter values, transactions, commands): a page costs the same at the millionth row as at
  the first, and a row arriving while a client walks the list neither repeats nor skips one. They have no
  `count` (counting millions of rows is what cursors avoid). Order them only by fields that are never null: the
  cursor is the ordering field's value in the last row (tests/portal/test_api_pagination.py checks this).
"""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class PortalPageNumberPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000


class PortalCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    # Used only by a view without an OrderingFilter; with one (the default), the view's `ordering` is.
    ordering = "-id"
