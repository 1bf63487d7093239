"""Diagnostics without servers: the location the portal fills into GetDiagnostics, what readers see of it, the zip
checks, and the pages that list a charger's diagnostics and read and search the text files inside a zip."""

import shutil

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError

from chargers.commands.services import command_create
from chargers.files.archives import ArchiveRefused, archive_check
from chargers.files.models import DiagnosticsStatus, DiagnosticsUpload, UploadProtocol
from chargers.files.selectors import diagnostics_upload_open
from chargers.files.services import (
    UploadRefused,
    diagnostics_expire,
    diagnostics_location_create,
    diagnostics_upload_receive,
    files_prepare_payload,
)
from chargers.files.values import diagnostics_folder
from chargers.models import ChargerModel
from chargers.ocpp.results import request_problem
from chargers.redaction import redact
from portal.roles import VIEWERS_GROUP
from tests.factories import ChargePointFactory, OperatorFactory, StaffUserFactory, UserFactory, token_client
from tests.files.helpers import DIAGNOSTICS_ZIP, zip_bomb, zip_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def charger():
    return ChargePointFactory()


def received(charger, data: bytes, name: str = "diagnostics.zip") -> DiagnosticsUpload:
    upload, _ = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    return diagnostics_upload_receive(upload=upload, file_name=name, chunks=[data])


@pytest.fixture
def uploaded(charger):
    upload = received(charger, zip_bytes(DIAGNOSTICS_ZIP))
    yield upload
    shutil.rmtree(diagnostics_folder(upload.token), ignore_errors=True)


def test_a_get_diagnostics_without_location_is_given_an_ftp_location_that_readers_see_without_its_password(
    charger, settings
) -> None:
    settings.FTP_HOST, settings.FTP_PORT = "ftp.example.com", 2121
    command = command_create(charge_point=charger, action="GetDiagnostics", payload={}, check_payload=request_problem)
    upload = DiagnosticsUpload.objects.get(charge_point=charger)
    location = command.payload["location"]
    assert location.startswith(f"ftp://{upload.token}:") and location.endswith(f"@ftp.example.com:2121/{upload.token}/")
    viewer = StaffUserFactory()
    viewer.groups.add(Group.objects.get_or_create(name=VIEWERS_GROUP)[0])
    viewer.user_permissions.set(Permission.objects.all())
    shown = token_client(viewer).get(f"/api/v1/commands/{command.pk}/").json()["payload"]["location"]
    assert shown == f"ftp://{upload.token}:***@ftp.example.com:2121/{upload.token}/"


def test_upload_protocol_http_gives_a_url_under_public_url_and_never_reaches_the_charger(charger, settings) -> None:
    settings.PUBLIC_URL = "https://portal.example.com"
    payload = {"upload_protocol": "http", "retries": 2}
    command = command_create(
        charge_point=charger, action="GetDiagnostics", payload=payload, check_payload=request_problem
    )
    upload = DiagnosticsUpload.objects.get(charge_point=charger)
    assert set(command.payload) == {"location", "retries"}
    assert command.payload["location"].startswith(f"https://portal.example.com/files/upload/{upload.token}/")
    assert redact("GetDiagnostics", command.payload)["location"] == (
        f"https://portal.example.com/files/upload/{upload.token}/***/"
    )


def test_a_charger_whose_profile_uploads_only_over_http_gets_an_http_location(charger, settings) -> None:
    settings.PUBLIC_URL = "https://portal.example.com"
    charger.charger_model = ChargerModel.objects.create(
        vendor="Acme", model="Web", diagnostics_upload_protocols=["https"]
    )
    payload = files_prepare_payload(charge_point=charger, action="GetDiagnostics", payload={})
    assert payload["location"].startswith("https://portal.example.com/files/upload/")
    charger.charger_model.diagnostics_upload_protocols = ["ftp", "http"]
    assert files_prepare_payload(charge_point=charger, action="GetDiagnostics", payload={})["location"].startswith(
        "ftp://"
    )


def test_an_unknown_upload_protocol_is_a_validation_error_naming_it(charger) -> None:
    with pytest.raises(ValidationError, match="upload_protocol"):
        command_create(
            charge_point=charger,
            action="GetDiagnostics",
            payload={"upload_protocol": "gopher"},
            check_payload=request_problem,
        )


def test_a_given_location_is_sent_as_it_is(charger) -> None:
    payload = {"location": "ftp://elsewhere.example.com/in/"}
    command = command_create(
        charge_point=charger, action="GetDiagnostics", payload=payload, check_payload=request_problem
    )
    assert command.payload == payload
    assert not DiagnosticsUpload.objects.exists()


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path) -> None:
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(zip_bomb())
    with pytest.raises(ArchiveRefused, match="zip bomb"):
        archive_check(path=bomb, max_uncompressed=10**9, max_ratio=200)
    with pytest.raises(ArchiveRefused, match="unpacks to 20000000 bytes"):
        archive_check(path=bomb, max_uncompressed=10**6, max_ratio=10**6)
    broken = tmp_path / "broken.zip"
    broken.write_bytes(zip_bytes(DIAGNOSTICS_ZIP)[:-30])
    with pytest.raises(ArchiveRefused, match="not a readable zip"):
        archive_check(path=broken, max_uncompressed=10**9, max_ratio=200)


def test_an_upload_past_the_size_limit_is_refused_and_nothing_is_kept(charger, settings) -> None:
    settings.DIAGNOSTICS_MAX_BYTES = 10
    upload, _ = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    with pytest.raises(UploadRefused, match="10 bytes allowed") as refused:
        diagnostics_upload_receive(upload=upload, file_name="big.log", chunks=[b"123456", b"789012"])
    assert refused.value.status == 413
    upload.refresh_from_db()
    assert upload.status == DiagnosticsStatus.REFUSED
    assert not diagnostics_folder(upload.token).exists()


@pytest.mark.parametrize("name", ["..", "a/b.zip", "..\\evil.zip", "", "x\x00.zip"])
def test_a_file_name_that_is_not_a_plain_name_is_refused_and_the_location_stays_usable(charger, name) -> None:
    upload, _ = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    with pytest.raises(UploadRefused, match="plain file name"):
        diagnostics_upload_receive(upload=upload, file_name=name, chunks=[b"x"])
    upload.refresh_from_db()
    assert upload.status == DiagnosticsStatus.WAITING


def test_the_diagnostics_api_lists_a_charger_s_uploads_to_operators_only(charger, uploaded) -> None:
    url = f"/api/v1/chargers/{charger.charge_point_id}/diagnostics/"
    assert token_client(UserFactory()).get(url).status_code == 403
    response = token_client(OperatorFactory()).get(url)
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert (item["file_name"], item["size"], item["status"]) == ("diagnostics.zip", uploaded.size, "uploaded")
    assert item["download_url"].endswith(
        f"/api/v1/chargers/{charger.charge_point_id}/diagnostics/{uploaded.pk}/download/"
    )
    assert token_client(OperatorFactory()).get("/api/v1/chargers/NOPE/diagnostics/").status_code == 404


def test_the_pages_list_the_zip_s_files_show_their_text_and_find_lines(client, charger, uploaded) -> None:
    client.force_login(OperatorFactory())
    base = f"/chargers/{charger.charge_point_id}/diagnostics/"
    assert b"diagnostics.zip" in client.get(base).content
    page = client.get(f"{base}{uploaded.pk}/").content.decode()
    assert "system.log" in page and "ocpp/messages.log" in page
    found = client.get(f"{base}{uploaded.pk}/", {"q": "rcd TRIP"}).content.decode()
    assert "1 line containing" in found and "2026-12-01 03:10:00 RCD trip" in found
    member = client.get(f"{base}{uploaded.pk}/files/0/", {"q": "OCPP"}).content.decode()
    assert "1 matching line" in member and "<mark>2026-12-01 03:00:05 OCPP connected</mark>" in member
    assert client.get(f"{base}{uploaded.pk}/files/9/").status_code == 404
    download = client.get(f"{base}{uploaded.pk}/download/")
    assert download.status_code == 200
    assert len(b"".join(download.streaming_content)) == uploaded.size


def test_the_pages_are_for_staff_only(client, charger, uploaded) -> None:
    base = f"/chargers/{charger.charge_point_id}/diagnostics/"
    assert client.get(base).status_code == 302
    client.force_login(UserFactory())
    assert client.get(f"{base}{uploaded.pk}/").status_code == 403


def test_a_location_past_its_time_opens_nothing_and_is_marked_expired(charger, settings) -> None:
    settings.DIAGNOSTICS_UPLOAD_TTL_S = -1
    upload, location = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.FTP)
    secret = location.split(":")[2].split("@")[0]
    assert diagnostics_upload_open(token=upload.token, secret=secret, protocol=UploadProtocol.FTP) is None
    with pytest.raises(UploadRefused, match="used or has expired"):
        diagnostics_upload_receive(upload=upload, file_name="late.zip", chunks=[b"x"])
    assert diagnostics_expire() >= 1
    upload.refresh_from_db()
    assert upload.status == DiagnosticsStatus.EXPIRED
