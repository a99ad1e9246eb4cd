"""Page-number pagination for every list: {count, next, previous, results};
?page=N, ?page_size=N (at most 500; default PAGE_SIZE, 50).  A page beyond
the last is a 404 with code "not_found"."""
from rest_framework import pagination


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
