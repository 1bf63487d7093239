"""Files exchanged with chargers: diagnostics they upload (over FTP or HTTP, to a one-time location the portal
fills into GetDiagnostics) and firmware the portal hosts for UpdateFirmware (at a signed, expiring URL per
charger). Models live in the `chargers` app (same tables label), like the commands and profiles."""
