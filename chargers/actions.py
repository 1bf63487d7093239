"""The OCPP 1.6 action sets: who starts which action, and the 28 messages of the vendor questionnaire.

Plain data that imports nothing, so that models, forms, selectors and the API can name actions without importing
the protocol room (chargers/ocpp/), which checks frames against these same sets.
"""

# OCPP 1.6 actions by who starts them (the 1.6 spec, sections 4 and 5, without the security extension).
CHARGER_ACTIONS = frozenset(
    {
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "DiagnosticsStatusNotification",
        "FirmwareStatusNotification",
        "Heartbeat",
        "MeterValues",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
    }
)
CENTRAL_ACTIONS = frozenset(
    {
        "CancelReservation",
        "ChangeAvailability",
        "ChangeConfiguration",
        "ClearCache",
        "ClearChargingProfile",
        "DataTransfer",
        "GetCompositeSchedule",
        "GetConfiguration",
        "GetDiagnostics",
        "GetLocalListVersion",
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "ReserveNow",
        "Reset",
        "SendLocalList",
        "SetChargingProfile",
        "TriggerMessage",
        "UnlockConnector",
        "UpdateFirmware",
    }
)
# Actions of the 1.6 security whitepaper: known to OCPP 1.6, not supported by this portal yet.
SECURITY_ACTIONS = frozenset(
    {
        "CertificateSigned",
        "DeleteCertificate",
        "ExtendedTriggerMessage",
        "GetInstalledCertificateIds",
        "GetLog",
        "InstallCertificate",
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignCertificate",
        "SignedFirmwareStatusNotification",
        "SignedUpdateFirmware",
    }
)
KNOWN_ACTIONS = CHARGER_ACTIONS | CENTRAL_ACTIONS | SECURITY_ACTIONS

# The 28 messages of OCPP 1.6 (spec sections 4 and 5) in the questionnaire's order: the charger's, then the
# central system's, each alphabetical (DataTransfer goes both ways and stands once); GetCompositeSchedule is the
# one the questionnaire forgot.
OCPP_MESSAGES: tuple[str, ...] = (*sorted(CHARGER_ACTIONS), *sorted(CENTRAL_ACTIONS - {"DataTransfer"}))
# Smart charging and TriggerMessage came with 1.6: the questionnaire leaves their 1.5 cells empty.
OCPP16_ONLY_MESSAGES = frozenset(
    {"ClearChargingProfile", "GetCompositeSchedule", "SetChargingProfile", "TriggerMessage"}
)
