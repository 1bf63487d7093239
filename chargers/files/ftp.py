"""The FTP server chargers upload diagnostics to: `python -m chargers.files.ftp` (a Procfile process).

Every login is one GetDiagnostics location: user = the location's token, password = its one-time secret
(chargers/files/services/diagnostics.py). The login sees the diagnostics root, may enter, list and write only its
own folder (/<token>/), stores one file there (no append, resume, rename, delete or mkdir), and is closed after
it; the credentials then open nothing. Oversize transfers are cut off, path tricks refused.
"""

import logging
import os
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

# After django.setup(): the models need the app registry.
from django.conf import settings  # noqa: E402
from django.db import close_old_connections  # noqa: E402
from pyftpdlib.authorizers import AuthenticationFailed, DummyAuthorizer  # noqa: E402
from pyftpdlib.handlers import DTPHandler, FTPHandler  # noqa: E402
from pyftpdlib.servers import FTPServer  # noqa: E402

from chargers.files import selectors, services  # noqa: E402
from chargers.files.models import DiagnosticsUpload, UploadProtocol  # noqa: E402
from chargers.files.values import diagnostics_folder  # noqa: E402

logger = logging.getLogger("chargers.files.ftp")

# pyftpdlib's permission letters: e = enter a folder, l = list it, w = store a file.
FOLDER_PERMISSIONS = "elw"
STORE_COMMANDS = frozenset({"STOR", "APPE", "STOU"})


def _root() -> Path:
    return Path(settings.FILES_ROOT) / "diagnostics"


class OneTimeAuthorizer(DummyAuthorizer):
    """Logins are the waiting upload locations in the database; there is no user table."""

    def validate_authentication(self, username: str, password: str, handler: "UploadHandler") -> None:
        close_old_connections()
        upload = selectors.diagnostics_upload_open(token=username, secret=password, protocol=UploadProtocol.FTP)
        if upload is None:
            raise AuthenticationFailed("Authentication failed.")
        diagnostics_folder(upload.token).mkdir(parents=True, exist_ok=True)
        handler.upload = upload

    def get_home_dir(self, username: str) -> str:
        # The root holds every location's folder; has_perm keeps each login inside its own.
        _root().mkdir(parents=True, exist_ok=True)
        return str(_root())

    def has_user(self, username: str) -> bool:
        return True

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        if perm not in FOLDER_PERMISSIONS:
            return False
        if path is None:
            return True
        own = os.path.realpath(diagnostics_folder(username))
        real = os.path.realpath(path)
        return real == own or os.path.dirname(real) == own

    def get_perms(self, username: str) -> str:
        return FOLDER_PERMISSIONS

    def get_msg_login(self, username: str) -> str:
        return f"Upload one file into /{username}/."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."


class LimitedDTPHandler(DTPHandler):
    """A data connection that stops receiving past DIAGNOSTICS_MAX_BYTES, and that judges a whole file before
    answering the charger, so that a refused file gets 552 instead of 226."""

    def handle_read(self) -> None:
        super().handle_read()
        if self.receive and self.tot_bytes_received > settings.DIAGNOSTICS_MAX_BYTES:
            reason = f"more than the {settings.DIAGNOSTICS_MAX_BYTES} bytes allowed"
            # Recorded before the 552 goes out (close() answers first, then calls back).
            self.cmd_channel.upload_refuse(reason)
            self._resp = (f"552 Upload refused: {reason}.", logger.info)
            self.transfer_finished = False
            self.close()

    # pyftpdlib binds handle_read_event to its own handle_read in the class body: bind ours the same way.
    handle_read_event = handle_read

    def close(self) -> None:
        if not self._closed and self.receive and self.transfer_finished and self.file_obj is not None:
            self.file_obj.close()  # flushed before it is measured; pyftpdlib closes it again harmlessly
            refusal = self.cmd_channel.upload_judge()
            if refusal:
                self._resp = (f"552 Upload refused: {refusal}.", logger.info)
        super().close()


class UploadHandler(FTPHandler):
    dtp_handler = LimitedDTPHandler
    authorizer = OneTimeAuthorizer()
    upload: DiagnosticsUpload | None = None
    refusal = ""

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        if cmd in STORE_COMMANDS and self.authenticated:
            refusal = self._store_refusal(cmd, arg)
            if refusal:
                self.respond(refusal)
                return
        super().pre_process_command(line, cmd, arg)

    def _store_refusal(self, cmd: str, arg: str) -> str:
        if cmd != "STOR" or self._restart_position:
            return "553 Only STOR of a whole file is allowed."
        parts = [part for part in arg.replace("\\", "/").split("/") if part]
        # "name", "/<token>/name" or "<token>/name": never "..", never another folder.
        if not parts or ".." in parts or "\x00" in arg or (len(parts) > 1 and parts[:-1] != [self.username]):
            return f"553 {arg!r} is not a file name in /{self.username}/."
        if len(parts) == 1 and self.fs.cwd.strip("/") != self.username:
            return f"553 Store into /{self.username}/ (CWD /{self.username}/ first, or STOR /{self.username}/NAME)."
        try:
            name = services.diagnostics_file_name_check(parts[-1])
        except services.UploadRefused as error:
            return f"553 {error}."
        close_old_connections()
        if self.upload is None or not services.diagnostics_upload_claim(upload=self.upload, file_name=name):
            return "550 This login has taken its one upload."
        return ""

    def upload_judge(self) -> str:
        """Keep the file that arrived whole, or say why not (the service removed it then)."""
        close_old_connections()
        try:
            services.diagnostics_upload_finish(upload=self.upload)
        except services.UploadRefused as error:
            logger.warning("diagnostics upload %s refused: %s", self.upload.token, error)
            return str(error)
        return ""

    def on_file_received(self, file: str) -> None:
        # One upload per login: the login ends with it (kept or refused by upload_judge).
        self.close_when_done()

    def upload_refuse(self, reason: str) -> None:
        close_old_connections()
        self.refusal = reason
        services.diagnostics_upload_refuse(upload=self.upload, reason=reason)

    def on_incomplete_file_received(self, file: str) -> None:
        if not self.refusal:
            self.upload_refuse("the transfer broke off")
        self.close_when_done()


def _passive_ports(spec: str) -> list[int] | None:
    if not spec:
        return None
    first, _, last = spec.partition("-")
    return list(range(int(first), int(last or first) + 1))


def serve(*, host: str = "0.0.0.0", port: int | None = None) -> None:  # noqa: S104 (chargers come from outside)
    UploadHandler.passive_ports = _passive_ports(settings.FTP_PASSIVE_PORTS)
    UploadHandler.auth_failed_timeout = settings.FTP_AUTH_FAILED_DELAY_S
    UploadHandler.masquerade_address = settings.FTP_MASQUERADE_ADDRESS or None
    UploadHandler.banner = "Portal diagnostics upload ready."
    server = FTPServer((host, port or settings.FTP_PORT), UploadHandler)
    server.max_cons_per_ip = 20
    logger.info("diagnostics FTP server on %s:%s", host, port or settings.FTP_PORT)
    server.serve_forever(handle_exit=True)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    serve(host=os.environ.get("FTP_BIND", "0.0.0.0"))  # noqa: S104
