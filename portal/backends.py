"""The authentication backend: Django's model permissions, with the viewers' rule applied on top, so that the
admin, the REST API and the pages all ask `user.has_perm()` and get the same answer."""

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

from portal.roles import VIEW_ACTION, permission_is_read, user_is_viewer


class RoleBackend(ModelBackend):
    def has_perm(self, user_obj, perm: str, obj: object = None) -> bool:
        if user_obj.is_active and user_is_viewer(user_obj):
            # A viewer sees everything and changes nothing, whatever else the account was given.
            return permission_is_read(perm)
        return super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label: str) -> bool:
        if user_obj.is_active and user_is_viewer(user_obj):
            return True
        return super().has_module_perms(user_obj, app_label)

    def get_all_permissions(self, user_obj, obj: object = None) -> set[str]:
        if user_obj.is_active and user_is_viewer(user_obj) and obj is None:
            reads = Permission.objects.filter(codename__startswith=f"{VIEW_ACTION}_")
            return {
                f"{app_label}.{codename}"
                for app_label, codename in reads.values_list("content_type__app_label", "codename")
            }
        return super().get_all_permissions(user_obj, obj)
