"""Who is who (INTERFACES.md, "People and what each may see").

- Operator: a staff user; what they may change is what Django's model permissions give them (a superuser has
  them all).
- Viewer: a staff user in the group `viewers`: sees everything, changes nothing, sends no command, whatever
  permissions the account also holds.
- Customer: a user who is not staff; nothing of the operator API or admin.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

VIEWERS_GROUP = "viewers"
# Django's default permissions are named <action>_<model>; reading is `view`.
VIEW_ACTION = "view"


def user_is_viewer(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_staff or user.is_superuser:
        return False
    # Cached on the user object, like Django's own permission caches: the admin asks dozens of times a page.
    cached = getattr(user, "_portal_is_viewer", None)
    if cached is None:
        cached = user.groups.filter(name=VIEWERS_GROUP).exists()
        user._portal_is_viewer = cached
    return cached


def user_is_operator(user: AbstractBaseUser | AnonymousUser) -> bool:
    """May use the operator API and admin at all (what they may do there is a matter of permissions)."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def permission_is_read(perm: str) -> bool:
    """'app_label.view_model' is a read; add_, change_, delete_ and any custom permission are not."""
    codename = perm.split(".", 1)[-1]
    return codename.startswith(f"{VIEW_ACTION}_")
