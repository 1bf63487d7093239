"""The API keys page (/account/api-keys/): a user's own keys, listed, made and revoked in the browser; an operator
allowed to read API keys sees everyone's, and one allowed to change them may revoke anyone's (portal.selectors).
A new key is shown once, on the page that made it: only its hash is kept."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal import selectors, services
from portal.models import ApiScope
from portal.roles import user_is_operator


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the key is for, e.g. 'billing'. A new key of a name you "
                           "already use replaces the old one.")  # fmt: skip
    scopes = forms.MultipleChoiceField(
        choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple, initial=[ApiScope.READ]
    )


@never_cache  # the page that shows a new key must not be kept by any cache
@login_required
def api_key_page(request: HttpRequest) -> HttpResponse:
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and user_is_operator(request.user) and form.is_valid():
        try:
            api_key, key = services.api_key_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error("scopes", error)
        else:
            created = {"key": key, "name": api_key.name}
            form = ApiKeyForm()
    context = {
        "keys": selectors.api_key_list(user=request.user),
        "revocable": set(selectors.api_keys_revocable(user=request.user).values_list("pk", flat=True)),
        "see_all": selectors.api_keys_see_all(user=request.user),
        "may_create": user_is_operator(request.user),
        "form": form,
        "created": created,
    }
    return render(request, "portal/api_keys.html", context, status=400 if form.errors else 200)


@require_POST
@login_required
def api_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    revocable = selectors.api_keys_revocable(user=request.user)
    # A key the user may not revoke is not found: whether it exists is none of their business.
    api_key = get_object_or_404(revocable, pk=pk)
    services.api_keys_revoke(keys=revocable.filter(pk=api_key.pk))
    messages.success(request, f"Key {api_key.prefix}… ({api_key.name}) revoked: it no longer opens the API.")
    return redirect("api-keys")
