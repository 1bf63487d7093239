"""The admin's tag writes are recorded in the history like every other write (source "admin")."""

import pytest
from django.contrib.auth import get_user_model

from rfid.models import IdTag, IdTagChange

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_fast(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "x"))
    return client


def form(**changes) -> dict:
    base = {
        "id_tag": "77:fd:2a:fa",
        "status": "Accepted",
        "label": "Van 1",
        "note": "",
        "expires_at_0": "",
        "expires_at_1": "",
    }
    return {**base, **changes}


def test_an_admin_add_change_and_delete_are_each_recorded(admin_client_fast):
    assert admin_client_fast.post("/admin/rfid/idtag/add/", form()).status_code == 302
    tag = IdTag.objects.get()
    assert tag.id_tag == "77FD2AFA"
    assert admin_client_fast.post(f"/admin/rfid/idtag/{tag.pk}/change/", form(label="Van 2")).status_code == 302
    assert admin_client_fast.post(f"/admin/rfid/idtag/{tag.pk}/change/", form(label="Van 2")).status_code == 302
    assert admin_client_fast.post(f"/admin/rfid/idtag/{tag.pk}/delete/", {"post": "yes"}).status_code == 302

    history = list(IdTagChange.objects.order_by("id").values_list("action", "changes", "source", "user__username"))
    assert history == [
        ("created", {"status": [None, "Accepted"], "label": [None, "Van 1"]}, "admin", "root"),
        ("changed", {"label": ["Van 1", "Van 2"]}, "admin", "root"),
        ("deleted", {"status": ["Accepted", None], "label": ["Van 2", None]}, "admin", "root"),
    ]
    assert admin_client_fast.get("/admin/rfid/idtagchange/").status_code == 200
