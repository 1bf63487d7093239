"""The one login page (/accounts/login/; the admin's login redirects here), throttled per account and address."""

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import HttpResponse
from django.shortcuts import resolve_url

from portal import login_throttle
from portal.roles import user_is_operator


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "throttled": login_throttle.TOO_MANY_MESSAGE}

    def clean(self) -> dict:
        username = self.cleaned_data.get("username")
        address = login_throttle.client_address(self.request)
        if login_throttle.login_wait(username=username, address=address):
            raise ValidationError(self.error_messages["throttled"], code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            login_throttle.failure_record(username=username, address=address)
            raise
        if username and self.user_cache is not None:
            login_throttle.success_record(username=username)
        return cleaned


class LoginView(auth_views.LoginView):
    authentication_form = ThrottledAuthenticationForm

    def get_default_redirect_url(self) -> str:
        # Customers have no fleet to look at: their start page is their own sessions.
        if not user_is_operator(self.request.user):
            return resolve_url("live:me")
        return super().get_default_redirect_url()

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.has_error(NON_FIELD_ERRORS, "throttled"):
            response.status_code = 429
            # An upper bound: the window may have opened earlier.
            response["Retry-After"] = str(settings.LOGIN_FAILURE_WINDOW_S)
        return response
