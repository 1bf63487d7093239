"""The writes of chargers/files/: diagnostics uploads, hosted firmware, and filling in what the portal owns in
GetDiagnostics and UpdateFirmware payloads; one module per topic, all exported here."""

from chargers.files.services.diagnostics import *  # noqa: F403
from chargers.files.services.diagnostics import __all__ as _diagnostics
from chargers.files.services.firmware import *  # noqa: F403
from chargers.files.services.firmware import __all__ as _firmware
from chargers.files.services.payloads import *  # noqa: F403
from chargers.files.services.payloads import __all__ as _payloads
from chargers.files.services.rollouts import *  # noqa: F403
from chargers.files.services.rollouts import __all__ as _rollouts

__all__ = [*_diagnostics, *_firmware, *_payloads, *_rollouts]
