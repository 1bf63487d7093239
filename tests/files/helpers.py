"""What the file tests share: the FTP server process, a charger's HTTP uploads (urllib, multipart by hand) and
zips good and bad."""

import io
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass

from tests.conftest import BASE_DIR, free_port, server_env, wait_for_port


@dataclass
class FtpServer:
    port: int
    process: subprocess.Popen

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_ftp_server(**env: str) -> FtpServer:
    """The Procfile's FTP server on a free port, on the test database; passive ports chosen by the system."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "chargers.files.ftp"],
        cwd=BASE_DIR,
        env=server_env(FTP_PORT=str(port), FTP_PASSIVE_PORTS="", FTP_BIND="127.0.0.1", **env),
    )
    wait_for_port(port, process)
    return FtpServer(port, process)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """20 MB of zeros deflate to about 20 kB: a ratio of 1000, past any limit."""
    return zip_bytes({"zeros.log": bytes(20_000_000)})


DIAGNOSTICS_ZIP = {
    "system.log": b"2026-12-01 03:00:01 boot ok\n2026-12-01 03:00:05 OCPP connected\n2026-12-01 03:10:00 RCD trip\n",
    "ocpp/messages.log": b'[2,"1","BootNotification",{}]\nHeartbeat\n',
}


def http(method: str, url: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body if method in ("POST", "PUT") else None, method=method)
    for name, value in (headers or {}).items():
        request.add_header(name, value)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def post_multipart(url: str, *, file_name: str, data: bytes, part: str = "file") -> tuple[int, bytes]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{part}"; filename="{file_name}"\r\n'
            "Content-Type: application/zip\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return http("POST", url, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
