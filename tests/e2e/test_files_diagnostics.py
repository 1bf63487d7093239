"""Diagnostics uploads over real FTP and HTTP: a GetDiagnostics without a location goes to a simulated charger with
a one-time location the portal filled in; the charger (ftplib, urllib acting for it) uploads once, and is refused
with other credentials, a second time, with a path out of its folder, past the size limit, and with a zip bomb."""

import asyncio
import ftplib
import io
import json
import time
import uuid
from urllib.parse import urlsplit

import pytest

from chargers.commands.services import command_create
from chargers.files.models import DiagnosticsStatus, DiagnosticsUpload, UploadProtocol
from chargers.files.services import diagnostics_location_create
from chargers.files.values import diagnostics_folder
from chargers.models import ChargePoint, CommandStatus
from chargers.ocpp.results import request_problem
from chargers.services import charge_point_register
from tests.db import in_db_thread
from tests.factories import OperatorFactory, api_key_for
from tests.files.helpers import DIAGNOSTICS_ZIP, http, post_multipart, start_ftp_server, zip_bomb, zip_bytes
from tests.simulator import SimulatedCharger

pytestmark = pytest.mark.django_db(transaction=True)

KEY = "fedcba9876543210fedcba9876543210fedcba98"
FTP_LIMIT_BYTES = 100_000


@pytest.fixture(scope="module")
def ftp_server(django_db_setup, django_db_blocker):
    # A small size limit and a short brake on wrong passwords, so that both are seen in a fraction of a second.
    server = start_ftp_server(DIAGNOSTICS_MAX_BYTES=str(FTP_LIMIT_BYTES), FTP_AUTH_FAILED_DELAY_S="0.05")
    yield server
    server.stop()


def new_charger() -> ChargePoint:
    return charge_point_register(charge_point_id=f"DIAG-{uuid.uuid4().hex[:10]}", auth_key=KEY)


def wait_for(condition, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def get_diagnostics_through_the_pipeline(portal, charger: ChargePoint, payload: dict) -> tuple[str, object]:
    """Send GetDiagnostics to a simulated charger; the location it received, and the ended command."""

    async def scenario():
        sim = await SimulatedCharger(portal.ocpp_url, charger.charge_point_id, password=KEY).connect()
        await sim.boot()
        command = await in_db_thread(
            command_create,
            charge_point=charger,
            action="GetDiagnostics",
            payload=payload,
            check_payload=request_problem,
        )

        def ended():
            command.refresh_from_db()
            return command.status not in (CommandStatus.QUEUED, CommandStatus.SENT) and command

        done = await in_db_thread(wait_for, ended)
        await sim.close()
        return sim.received_calls, done

    calls, command = asyncio.run(scenario())
    assert [action for _, action, _ in calls] == ["GetDiagnostics"]
    return calls[0][2]["location"], command


def ftp_login(location: str, password: str | None = None) -> tuple[ftplib.FTP, str]:
    parts = urlsplit(location)
    ftp = ftplib.FTP()  # noqa: S321 (chargers upload diagnostics over plain FTP: that is what is tested)
    ftp.connect(parts.hostname, parts.port, timeout=10)
    ftp.login(parts.username, parts.password if password is None else password)
    return ftp, parts.path


def test_a_charger_uploads_diagnostics_once_over_ftp_to_the_location_the_portal_filled_in(
    command_portal, celery_worker, ftp_server, settings
) -> None:
    settings.FTP_PORT = ftp_server.port
    charger = new_charger()
    location, command = get_diagnostics_through_the_pipeline(command_portal, charger, {})
    assert command.status == CommandStatus.ACCEPTED
    upload = DiagnosticsUpload.objects.get(charge_point=charger)
    assert location == f"ftp://{upload.token}:{urlsplit(location).password}@127.0.0.1:{ftp_server.port}/{upload.token}/"
    # The ended command keeps no secret (chargers/redaction.py), nor does the upload row (only its SHA-256).
    assert urlsplit(location).password not in json.dumps(command.payload)
    assert command.payload["location"] == f"ftp://{upload.token}:***@127.0.0.1:{ftp_server.port}/{upload.token}/"

    archive = zip_bytes(DIAGNOSTICS_ZIP)
    ftp, folder = ftp_login(location)
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.nlst("/")  # the root, and other locations' folders, are not its to see
    ftp.cwd(folder)
    assert ftp.storbinary("STOR diagnostics-1.zip", io.BytesIO(archive)).startswith("226")
    with pytest.raises((EOFError, ConnectionError, ftplib.Error)):
        ftp.storbinary("STOR again.zip", io.BytesIO(b"more"))  # the login ended with its one upload
    ftp.close()

    upload.refresh_from_db()
    assert (upload.status, upload.file_name, upload.size) == (
        DiagnosticsStatus.UPLOADED,
        "diagnostics-1.zip",
        len(archive),
    )
    assert (diagnostics_folder(upload.token) / "diagnostics-1.zip").read_bytes() == archive
    with pytest.raises(ftplib.error_perm, match=r"^530"):
        ftp_login(location)  # the used credentials open nothing any more

    # Listed in the API, and downloadable with the API token, over real HTTP.
    token = {"Authorization": f"Token {api_key_for(OperatorFactory())}"}
    status, body = http(
        "GET", f"{command_portal.http_url}/api/v1/chargers/{charger.charge_point_id}/diagnostics/", headers=token
    )
    assert status == 200
    [item] = json.loads(body)["results"]
    assert (item["file_name"], item["size"], item["status"]) == ("diagnostics-1.zip", len(archive), "uploaded")
    assert item["uploaded_at"]
    assert http("GET", item["download_url"], headers=token) == (200, archive)
    assert http("GET", item["download_url"])[0] == 401


def test_ftp_refuses_other_credentials_paths_out_of_the_folder_and_oversize_files(ftp_server, settings) -> None:
    settings.FTP_PORT = ftp_server.port
    charger = new_charger()
    _, location = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.FTP)
    with pytest.raises(ftplib.error_perm, match=r"^530"):
        ftp_login(location, password="guessed")
    other, other_location = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.FTP)

    ftp, folder = ftp_login(location)
    for name in ("../evil.zip", f"../{other.token}/evil.zip", f"{folder}../../evil.zip"):
        with pytest.raises(ftplib.error_perm, match=r"^553"):
            ftp.storbinary(f"STOR {name}", io.BytesIO(b"x"))
    with pytest.raises(ftplib.error_perm, match=r"^550"):
        ftp.cwd(f"/{other.token}/")
    with pytest.raises(ftplib.error_perm, match=r"^552"):
        ftp.storbinary(f"STOR {folder}big.log", io.BytesIO(bytes(FTP_LIMIT_BYTES * 3)))
    ftp.close()
    upload = DiagnosticsUpload.objects.get(token=urlsplit(location).username)
    assert upload.status == DiagnosticsStatus.REFUSED and "100000 bytes allowed" in upload.reason
    assert not diagnostics_folder(upload.token).exists()

    ftp, folder = ftp_login(other_location)
    with pytest.raises(ftplib.error_perm, match=r"^552.*zip bomb"):
        ftp.storbinary(f"STOR {folder}bomb.zip", io.BytesIO(small_bomb()))
    ftp.close()
    other.refresh_from_db()
    assert other.status == DiagnosticsStatus.REFUSED and "zip bomb" in other.reason


def small_bomb() -> bytes:
    """5 MB of zeros in about 5 kB: under the FTP test server's 100 kB, a ratio of 1000."""
    return zip_bytes({"zeros.log": bytes(5_000_000)})


def test_a_charger_uploads_over_http_with_post_or_put_once_each(portal, settings) -> None:
    settings.PUBLIC_URL = portal.http_url
    charger = new_charger()
    archive = zip_bytes(DIAGNOSTICS_ZIP)
    posted, post_location = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    put, put_location = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    assert post_location.startswith(f"{portal.http_url}/files/upload/{posted.token}/")

    assert post_multipart(post_location, file_name="diag-post.zip", data=archive)[0] == 201
    assert post_multipart(post_location, file_name="again.zip", data=archive)[0] == 403
    assert http("PUT", f"{put_location}diag-put.zip", archive)[0] == 201
    assert http("PUT", f"{put_location}diag-put.zip", archive)[0] == 403

    posted.refresh_from_db()
    put.refresh_from_db()
    assert (posted.status, posted.file_name, posted.size) == ("uploaded", "diag-post.zip", len(archive))
    assert (put.status, put.file_name, put.size) == ("uploaded", "diag-put.zip", len(archive))
    assert (diagnostics_folder(put.token) / "diag-put.zip").read_bytes() == archive


def test_http_uploads_are_refused_with_a_wrong_secret_a_path_out_of_the_folder_or_a_zip_bomb(portal, settings) -> None:
    settings.PUBLIC_URL = portal.http_url
    charger = new_charger()
    upload, location = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    wrong = f"{portal.http_url}/files/upload/{upload.token}/not-the-secret/"
    assert post_multipart(wrong, file_name="d.zip", data=b"x")[0] == 403
    assert http("PUT", f"{location}..", b"x")[0] == 400
    assert post_multipart(location, file_name="d.zip", data=b"x", part="other")[0] == 400
    upload.refresh_from_db()
    assert upload.status == DiagnosticsStatus.WAITING  # nothing was taken: the location still works

    status, body = post_multipart(location, file_name="bomb.zip", data=zip_bomb())
    assert status == 422 and b"zip bomb" in body
    upload.refresh_from_db()
    assert upload.status == DiagnosticsStatus.REFUSED
    assert not diagnostics_folder(upload.token).exists()

    # A multipart file name with a path keeps only its last part, inside the location's own folder.
    second, second_location = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.HTTP)
    assert post_multipart(second_location, file_name="../../evil.zip", data=b"x")[0] == 201
    second.refresh_from_db()
    assert second.file_name == "evil.zip"
    assert (diagnostics_folder(second.token) / "evil.zip").is_file()
