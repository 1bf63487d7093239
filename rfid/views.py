"""Operator pages of id tags at /rfid/: the list (search, filters, keyset pages), a tag (edit, block, delete,
its history), block or unblock many, the CSV import with its report, and the export.

Thin: parse, call a service or selector, render. Every page needs a staff login; a page that changes something
also the model permission the admin would ask for (viewers have none: portal/roles.py, portal/backends.py).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.decorators import operator_required
from rfid import selectors, services
from rfid.filters import IdTagFilter
from rfid.forms import BulkStatusForm, IdTagForm, ImportForm
from rfid.imports import id_tags_csv_lines, id_tags_import_csv
from rfid.models import IdTag, IdTagStatus

PAGE_SIZE = 50
SOURCE = "page"
# The query parameters of the list's filter (kept across pages and sent along with "every tag the filter shows").
FILTER_PARAMETERS = tuple(IdTagFilter.base_filters)
# The report shows this many bad rows; the API's report (and a dry run through it) lists every one.
REPORT_ERRORS_SHOWN = 1000


def may(permission: str) -> Callable:
    """Staff with this model permission (checked after operator_required: the anonymous log in first)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.has_perm(f"rfid.{permission}_idtag"):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return operator_required(checked)

    return decorator


def _filter_query(params: QueryDict) -> QueryDict:
    query = QueryDict(mutable=True)
    for name in FILTER_PARAMETERS:
        if params.get(name):
            query[name] = params[name]
    return query


def _permissions(request: HttpRequest) -> dict:
    return {f"may_{action}": request.user.has_perm(f"rfid.{action}_idtag") for action in ("add", "change", "delete")}


@may("view")
def tag_list(request: HttpRequest) -> HttpResponse:
    filterset = IdTagFilter(request.GET, queryset=selectors.id_tag_list())
    tags = filterset.qs if filterset.is_valid() else IdTag.objects.none()
    page = selectors.id_tag_page(
        tags=tags, after=request.GET.get("after", ""), before=request.GET.get("before", ""), size=PAGE_SIZE
    )
    query = _filter_query(request.GET)
    return render(
        request,
        "rfid/tag_list.html",
        {
            "filter": filterset,
            "page": page,
            "query": query.urlencode(),
            "filter_fields": list(query.items()),
            "bulk_form": BulkStatusForm(),
            **_permissions(request),
        },
    )


@may("change")
@require_POST
def tag_bulk_status(request: HttpRequest) -> HttpResponse:
    form = BulkStatusForm(request.POST)
    filterset = IdTagFilter(_filter_query(request.POST), queryset=IdTag.objects.all())
    if not form.is_valid() or not filterset.is_valid():
        for error in [*form.errors.values(), *filterset.errors.values()]:
            messages.error(request, " ".join(error))
        return _back_to_list(request)
    tags = filterset.qs
    if form.cleaned_data["scope"] == BulkStatusForm.SELECTED:
        tags = tags.filter(id_tag__in=form.cleaned_data["ids"])
    status = form.cleaned_data["set_status"]
    count = services.id_tags_set_status(tags=tags, status=status, changed_by=request.user, source=SOURCE)
    messages.success(request, f"{count} tag(s) {'blocked' if status == IdTagStatus.BLOCKED else 'unblocked'}.")
    return _back_to_list(request)


def _back_to_list(request: HttpRequest) -> HttpResponse:
    """The list again, with the filter the operator was looking at."""
    query = _filter_query(request.POST).urlencode()
    return redirect(f"{reverse('rfid:tag-list')}{'?' + query if query else ''}")


@may("add")
def tag_create(request: HttpRequest) -> HttpResponse:
    form = IdTagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            tag = services.id_tag_create(**form.service_fields(), changed_by=request.user, source=SOURCE)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{tag.id_tag} created.")
            return redirect("rfid:tag-detail", id_tag=tag.id_tag)
    return render(request, "rfid/tag_form.html", {"form": form}, status=400 if form.errors else 200)


def _tag(id_tag: str) -> IdTag:
    return get_object_or_404(selectors.id_tag_list(), id_tag=services.id_tag_normalize(raw=id_tag))


@may("view")
def tag_detail(request: HttpRequest, id_tag: str) -> HttpResponse:
    """The tag, its form (a POST saves it: change permission) and its history."""
    tag = _tag(id_tag)
    form = IdTagForm(request.POST if request.method == "POST" else None, tag=tag)
    if request.method == "POST":
        if not request.user.has_perm("rfid.change_idtag"):
            raise PermissionDenied
        if form.is_valid():
            try:
                services.id_tag_update(tag=tag, **form.service_fields(), changed_by=request.user, source=SOURCE)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"{tag.id_tag} saved.")
                return redirect("rfid:tag-detail", id_tag=tag.id_tag)
    if not request.user.has_perm("rfid.change_idtag"):
        for field in form.fields.values():
            field.disabled = True
    history = selectors.id_tag_history(id_tag=tag.id_tag)[:100]
    context = {"tag": tag, "form": form, "history": history, **_permissions(request)}
    return render(request, "rfid/tag_detail.html", context, status=400 if form.errors else 200)


@may("change")
@require_POST
def tag_set_status(request: HttpRequest, id_tag: str) -> HttpResponse:
    """The block (or unblock) button of a tag's page."""
    tag = _tag(id_tag)
    status = request.POST.get("set_status", "")
    if status not in (IdTagStatus.BLOCKED, IdTagStatus.ACCEPTED):
        messages.error(request, f"Unknown status {status!r}.")
    else:
        services.id_tag_update(tag=tag, status=status, changed_by=request.user, source=SOURCE)
        messages.success(request, f"{tag.id_tag}: {status}.")
    return redirect("rfid:tag-detail", id_tag=tag.id_tag)


@may("delete")
@require_POST
def tag_delete(request: HttpRequest, id_tag: str) -> HttpResponse:
    tag = _tag(id_tag)
    services.id_tag_delete(tag=tag, changed_by=request.user, source=SOURCE)
    messages.success(request, f"{id_tag} deleted (its history stays).")
    return redirect("rfid:tag-list")


@may("add")
def tag_import(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = id_tags_import_csv(file=upload.file, options=form.options(), changed_by=request.user)
    context = {"form": form, "report": report, "errors_shown": REPORT_ERRORS_SHOWN}
    refused = report is not None and report.errors and not report.stored and not report.options.dry_run
    return render(request, "rfid/import.html", context, status=400 if form.errors or refused else 200)


@may("view")
def tag_export(request: HttpRequest) -> StreamingHttpResponse:
    """The list's filter as CSV (with charge_point=<id>: the tags that may charge there)."""
    filterset = IdTagFilter(request.GET, queryset=IdTag.objects.all())
    tags = filterset.qs if filterset.is_valid() else IdTag.objects.none()
    response = StreamingHttpResponse(id_tags_csv_lines(tags=tags), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="id-tags.csv"'
    return response
