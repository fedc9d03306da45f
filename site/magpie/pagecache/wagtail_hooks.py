"""Mark requests that Wagtail answers with a page: only those enter the page cache."""

from wagtail import hooks


@hooks.register("before_serve_page")
def mark_page_view(page, request, serve_args, serve_kwargs):
    request._magpie_wagtail_page = True
