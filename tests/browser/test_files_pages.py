"""An operator reads a charger's diagnostics in a real browser: the list, the files inside the zip, a search across
them, and one file with the matching lines marked. Then the firmware library page."""

import shutil
import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from chargers.files.models import UploadProtocol
from chargers.files.services import diagnostics_location_create, diagnostics_upload_receive, firmware_create
from chargers.files.values import diagnostics_folder
from chargers.services import charge_point_register
from tests.browser.test_operator_pages import PASSWORD, log_in, page  # noqa: F401 (fixtures)
from tests.files.helpers import zip_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "e2e" / "screenshots"
SYSTEM_LOG = "\n".join(
    [f"2026-12-01 03:{minute:02d}:00 heartbeat ok" for minute in range(40)]
    + ["2026-12-01 03:41:07 RCD trip on connector 1"]
)


def test_an_operator_finds_a_line_in_a_charger_s_diagnostics_and_reads_the_file(page, portal) -> None:  # noqa: F811
    get_user_model().objects.create_superuser("diag-op", "op@example.com", PASSWORD)
    charger = charge_point_register(charge_point_id=f"DIAG-WEB-{uuid.uuid4().hex[:6]}")
    upload, _ = diagnostics_location_create(charge_point=charger, protocol=UploadProtocol.FTP)
    archive = zip_bytes({"system.log": SYSTEM_LOG.encode(), "ocpp/messages.log": b"BootNotification\nHeartbeat\n"})
    diagnostics_upload_receive(upload=upload, file_name="diagnostics.zip", chunks=[archive])
    try:
        log_in(page, portal, "diag-op")
        page.goto(f"{portal.http_url}/chargers/{charger.charge_point_id}/diagnostics/")
        page.screenshot(path=SCREENSHOTS / "files-diagnostics-list.png", full_page=True)
        page.click("text=diagnostics.zip")
        page.wait_for_selector("text=Files in the archive")
        page.fill("input[name=q]", "rcd")
        page.click("button[type=submit]")
        page.wait_for_selector("table.search-hits")
        assert "1 line containing" in page.locator("h2").first.inner_text()
        page.screenshot(path=SCREENSHOTS / "files-diagnostics-search.png", full_page=True)
        page.click("table.search-hits a")
        page.wait_for_selector("tr.hit mark")
        assert page.locator("tr.hit").count() == 1
        assert "RCD trip on connector 1" in page.locator("tr.hit").inner_text()
        assert page.locator("table.file-text tr").count() == 41
        page.screenshot(path=SCREENSHOTS / "files-diagnostics-file.png", full_page=True)
    finally:
        shutil.rmtree(diagnostics_folder(upload.token), ignore_errors=True)


def test_an_operator_uploads_firmware_on_the_firmware_page(page, portal, tmp_path) -> None:  # noqa: F811
    get_user_model().objects.create_superuser("fw-op", "op@example.com", PASSWORD)
    firmware_create(chunks=[b"old"], file_name="inch-1.11.zip", version="1.11", model="INCH")
    image = tmp_path / "inch-1.12.zip"
    image.write_bytes(b"PK new firmware")
    log_in(page, portal, "fw-op")
    page.goto(f"{portal.http_url}/firmware/")
    page.set_input_files("input[name=file]", str(image))
    page.fill("input[name=version]", "1.12")
    page.fill("input[name=model]", "INCH")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("ul.messages")
    assert "INCH 1.12 is hosted" in page.locator("ul.messages").inner_text()
    assert page.locator("table:not(.rollouts) tr").count() == 3  # the header and the two firmware files
    page.screenshot(path=SCREENSHOTS / "files-firmware.png", full_page=True)
