"""The firmware library without servers: uploads through the API and the page, what an UpdateFirmware naming
hosted firmware becomes, and the signed links (a tampered one is 404, an expired one 403)."""

import hashlib

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from chargers.commands.services import command_create
from chargers.files.models import HostedFirmware
from chargers.files.services import firmware_create, firmware_signed_url
from chargers.models import ChargerModel
from chargers.ocpp.results import request_problem
from portal.roles import VIEWERS_GROUP
from tests.factories import ChargePointFactory, OperatorFactory, StaffUserFactory, UserFactory, token_client

pytestmark = pytest.mark.django_db

IMAGE = b"PK\x03\x04 pretend this is the INCH 1.12 firmware zip" * 100


@pytest.fixture(autouse=True)
def files_in_tmp(settings, tmp_path):
    settings.FILES_ROOT = tmp_path
    settings.PUBLIC_URL = "https://portal.example.com"


def hosted(model: str = "INCH", version: str = "1.12") -> HostedFirmware:
    return firmware_create(chunks=[IMAGE], file_name="inch-1.12.zip", version=version, model=model)


def upload(client, **fields):
    data = {"file": SimpleUploadedFile("inch-1.12.zip", IMAGE), "version": "1.12", "model": "INCH", **fields}
    return client.post("/api/v1/firmware/", data, format="multipart")


def test_an_operator_uploads_firmware_and_gets_its_checksum_and_size() -> None:
    client = token_client(OperatorFactory())
    response = upload(client, notes="fixes the RCD test")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["model"], body["version"], body["file_name"]) == ("INCH", "1.12", "inch-1.12.zip")
    assert (body["size"], body["sha256"]) == (len(IMAGE), hashlib.sha256(IMAGE).hexdigest())
    assert client.get("/api/v1/firmware/").json()["results"][0]["id"] == body["id"]


def test_a_profile_id_as_model_ties_the_firmware_to_that_profile() -> None:
    profile = ChargerModel.objects.create(vendor="Etrel", model="INCH Duo")
    body = upload(token_client(OperatorFactory()), model=str(profile.pk)).json()
    assert (body["model"], body["charger_model"]) == ("INCH Duo", profile.pk)


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"model": "999999"}, "model"), ({"version": " "}, "version"), ({"file": ""}, "file")],
)
def test_a_bad_upload_is_a_400_naming_the_field(fields, field) -> None:
    response = upload(token_client(OperatorFactory()), **fields)
    assert response.status_code == 400
    assert field in response.json()
    assert not HostedFirmware.objects.exists()


def test_the_same_model_and_version_twice_is_refused() -> None:
    client = token_client(OperatorFactory())
    assert upload(client).status_code == 201
    response = upload(client)
    assert response.status_code == 400 and "hosted already" in response.json()["version"][0]


def test_customers_and_viewers_upload_nothing() -> None:
    assert upload(token_client(UserFactory())).status_code == 403
    viewer = StaffUserFactory()
    viewer.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    assert upload(token_client(viewer)).status_code == 403


def test_update_firmware_naming_hosted_firmware_carries_a_signed_link_and_never_the_id() -> None:
    charger = ChargePointFactory()
    firmware = hosted()
    command = command_create(
        charge_point=charger,
        action="UpdateFirmware",
        payload={"firmware_id": firmware.pk, "retries": 3},
        check_payload=request_problem,
    )
    assert set(command.payload) == {"location", "retrieveDate", "retries"}
    assert command.payload["location"].startswith("https://portal.example.com/files/firmware/")
    assert command.payload["location"].endswith("/inch-1.12.zip")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"firmware_id": 999999, "retrieveDate": "2026-12-01T00:00:00Z"}, "no hosted firmware"),
        ({"firmware_id": "1"}, "no hosted firmware"),
        ({"firmware_id": 1, "location": "http://x/", "retrieveDate": "2026-12-01T00:00:00Z"}, "not both"),
    ],
)
def test_an_update_firmware_with_a_bad_firmware_id_is_refused(payload, message) -> None:
    with pytest.raises(ValidationError, match=message):
        command_create(
            charge_point=ChargePointFactory(), action="UpdateFirmware", payload=payload, check_payload=request_problem
        )


def test_firmware_for_another_profile_is_refused() -> None:
    inch, other = (
        ChargerModel.objects.create(vendor="Etrel", model="INCH"),
        ChargerModel.objects.create(vendor="X", model="Y"),
    )
    firmware = firmware_create(chunks=[IMAGE], file_name="f.zip", version="1", model=str(inch.pk))
    with pytest.raises(ValidationError, match="is for"):
        command_create(
            charge_point=ChargePointFactory(charger_model=other),
            action="UpdateFirmware",
            payload={"firmware_id": firmware.pk},
            check_payload=request_problem,
        )


def test_a_signed_link_downloads_and_a_tampered_or_expired_one_does_not(client) -> None:
    charger, firmware = ChargePointFactory(), hosted()
    path = firmware_signed_url(firmware=firmware, charge_point=charger).removeprefix("https://portal.example.com")
    response = client.get(path)
    assert response.status_code == 200 and b"".join(response.streaming_content) == IMAGE
    token = path.split("/")[3]
    assert client.get(path.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))).status_code == 404
    expired = firmware_signed_url(firmware=firmware, charge_point=charger, ttl_s=-1)
    assert client.get(expired.removeprefix("https://portal.example.com")).status_code == 403


def test_the_firmware_page_lists_and_uploads_for_operators_and_only_lists_for_viewers(client) -> None:
    client.force_login(OperatorFactory())
    response = client.post(
        "/firmware/upload/",
        {"file": SimpleUploadedFile("a.zip", IMAGE), "version": "2.0", "model": "INCH", "notes": ""},
    )
    assert response.status_code == 302
    page = client.get("/firmware/").content.decode()
    assert "2.0" in page and hashlib.sha256(IMAGE).hexdigest() in page and 'enctype="multipart/form-data"' in page
    viewer = StaffUserFactory()
    viewer.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    client.force_login(viewer)
    assert "multipart/form-data" not in client.get("/firmware/").content.decode()
    response = client.post(
        "/firmware/upload/", {"file": SimpleUploadedFile("b.zip", IMAGE), "version": "3", "model": "INCH"}
    )
    assert response.status_code == 403
