"""The ETREL INCH (firmware 1.12) profile ships with the portal, as its vendor integration questionnaire answers it
(/work/shared/seeds/000_bf414725e94c1e9b.txt), with Etrel's published DataTransfer messages.

Self-contained on purpose: a data migration must not import the app's services or constants, which change later.
"""

from decimal import Decimal

from django.db import migrations

VENDOR, MODEL = "ETREL", "INCH"

# The 28 OCPP 1.6 messages; the INCH supports all but GetLocalListVersion over 1.6 SOAP and 1.6 JSON.
OCPP16_MESSAGES = [
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
    "CancelReservation",
    "ChangeAvailability",
    "ChangeConfiguration",
    "ClearCache",
    "ClearChargingProfile",
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
]
INCH_MESSAGES = [m for m in OCPP16_MESSAGES if m != "GetLocalListVersion"]

PROFILE = {
    "vendor": VENDOR,
    "model": MODEL,
    "status": "active",
    # BootNotification says chargePointVendor "Etrel", chargePointModel a product code like "G-HB1V5CY20-A14".
    "boot_vendor_pattern": r"etrel(\s+d\.o\.o\.)?",
    "boot_model_pattern": r"INCH.*|G-[A-Z0-9]+-[A-Z0-9]+",
    "match_priority": 0,
    "supported_messages": {"ocpp15_soap": [], "ocpp16_soap": INCH_MESSAGES, "ocpp16_json": INCH_MESSAGES},
    "rfid_byte_order": "little_endian",
    "rfid_delimiter": "",
    "rfid_example": "FA2AFD77",
    "rfid_notes": "Little-Endian as default. IdTag example: FA2AFD77",
    "data_transfer_notes": (
        "Contact Etrel to get a list of custom messages. Listed here: the messages Etrel publishes for vendorId "
        "Etrel (central system → charger); `data` is a JSON string."
    ),
    "diagnostics_file_format": "Zip file, contains ASCII files",
    "diagnostics_upload_protocols": ["ftp", "http"],
    "diagnostics_upload_notes": "",
    "firmware_file_format": "zip",
    "meter_values_notes": (
        "Other OCPP non standard messages are also supported (related with building consumption or cluster "
        "consumption)."
    ),
    "local_list_capacity": 100000,
    "local_list_capacity_exceeded": True,
    "vendor_error_codes_notes": "See document attached: (no document came with the questionnaire)",
    "service_port": 80,
    "service_path": "",
    "service_transports": ["ocpp16_soap"],
    "service_notes": "Not used in OCPP1.6J, but TCP 80 with OCPP 1.6S",
    "charge_point_security": ["ws", "wss", "http", "https"],
    "charge_point_security_notes": "ws and wss for OCPP 1.6J, http and https for OCPP 1.6S",
    "backend_security": ["ws", "wss", "http", "https"],
    "backend_security_notes": "ws, wss or http,https",
    "contact_first_name": "Mehle",
    "contact_last_name": "Borut",
    "contact_email": "borut.mehle@etrel.si",
    "contact_phone": "",
    "documentation_url": "",
    "documentation_notes": "Check section INCH at (the questionnaire gives no address)",
    "support_email": "support@etrel.com",
    "support_phone": "+386 1 60 10 077",
    "notes": (
        "From the ETREL integration questionnaire for the INCH, firmware 1.12. Open points: the firmware's issue "
        "date, the vendor error code document, the names of the non-standard (building/cluster) measurands and "
        "the TxLimit fields are not given. GetCompositeSchedule is not in the questionnaire; it is marked "
        "supported because Etrel's notes list every 1.6 SmartCharging message."
    ),
}

FIRMWARE = [{"version": "1.12", "issued_on": None, "notes": "Issue date not given in the questionnaire"}]

# Four connector columns in the questionnaire; only the first is filled in.
CONNECTORS = [
    {
        "position": 1,
        "evse_code": "1",
        "connector_code": 1,
        "charging_type": "AC",
        "connector_type": "Type 2",
        "max_power_kw": Decimal("22"),
        "phases": 3,
    }
]

_DURING_CHARGING = "As defined by meter value interval"
MEASURANDS = [
    {"measurand": "Energy.Active.Import.Register", "unit": "kWh"},
    {"measurand": "Current.Import", "unit": "A", "per_phase": True, "notes": "For all three phases"},
    {"measurand": "Power.Active.Import", "unit": "kW", "notes": "Sent per phase in the field: the portal sums them"},
    {"measurand": "Voltage", "unit": "V", "per_phase": True, "notes": "For all three phases"},
    {"measurand": "Frequency", "unit": "Hz", "notes": "Hz is not an OCPP 1.6 unit; the portal accepts it"},
    {"measurand": "Power.Factor", "unit": ""},
    {
        "measurand": "Building consumption",
        "label": "Building consumption",
        "standard": False,
        "level": "charge_point",
        "interval_charging": "Not stated in the questionnaire",
        "notes": "Non-standard; name as sent, level and interval not given in the questionnaire",
    },
    {
        "measurand": "Cluster consumption",
        "label": "Cluster consumption",
        "standard": False,
        "level": "charge_point",
        "interval_charging": "Not stated in the questionnaire",
        "notes": "Non-standard; name as sent, level and interval not given in the questionnaire",
    },
]

DATA_TRANSFERS = [
    {
        "message_id": "SetChargingMode",
        "description": (
            "Changes the charging mode (Fast, or Smart: interactive) and the departure time remotely, e.g. when the "
            "driver changes them in an app; the charger shows them on its display."
        ),
        "data_schema": {
            "type": "object",
            "properties": {
                "connectorId": {"type": "integer", "minimum": 1, "description": "Connector"},
                "transactionId": {"type": "integer", "description": "Transaction (optional)"},
                "chargingMode": {"type": "string", "enum": ["Fast", "Smart"], "description": "Charging mode"},
                "departureTime": {
                    "type": "string",
                    "format": "date-time",
                    "description": "Departure time, ISO 8601 (optional)",
                },
            },
            "required": ["connectorId", "chargingMode"],
            "additionalProperties": False,
        },
    },
    {
        "message_id": "SetChargingRateKmPerKWh",
        "description": (
            "Sets how many km the vehicle drives on 1 kWh, so the charger can show charged kilometres; without it the "
            "INCH uses its default ratio. Usually sent just after a session starts."
        ),
        "data_schema": {
            "type": "object",
            "properties": {
                "connectorId": {"type": "integer", "minimum": 1, "description": "Connector"},
                "transactionId": {"type": "integer", "description": "Transaction (optional)"},
                "rate": {"type": "number", "exclusiveMinimum": 0, "description": "km per kWh"},
            },
            "required": ["connectorId", "rate"],
            "additionalProperties": False,
        },
    },
    {
        "message_id": "TxLimit",
        "description": (
            "Limits a charging session (at the customer's request, for lack of funds, or as a general service "
            "limit). Etrel does not publish its fields: this schema (connector, optional transaction, an energy "
            "limit in kWh and/or a duration limit in minutes) is the portal's own reasonable definition; confirm "
            "it with Etrel before relying on it."
        ),
        "data_schema": {
            "type": "object",
            "properties": {
                "connectorId": {"type": "integer", "minimum": 1, "description": "Connector"},
                "transactionId": {"type": "integer", "description": "Transaction (optional)"},
                "energyLimitKWh": {"type": "number", "exclusiveMinimum": 0, "description": "Energy limit, kWh"},
                "timeLimitMinutes": {"type": "integer", "minimum": 1, "description": "Duration limit, minutes"},
            },
            "required": ["connectorId"],
            "anyOf": [{"required": ["energyLimitKWh"]}, {"required": ["timeLimitMinutes"]}],
            "additionalProperties": False,
        },
    },
]

INTERFACES = [{"name": "Web configuration", "address": "http://<charger>:80", "purpose": "Web configuration"}]


def load_inch(apps, schema_editor):
    ChargerModel = apps.get_model("chargers", "ChargerModel")
    if ChargerModel.objects.filter(vendor=VENDOR, model=MODEL).exists():
        return  # an installation that imported it by hand keeps its own
    profile = ChargerModel.objects.create(**PROFILE)
    for row in FIRMWARE:
        apps.get_model("chargers", "FirmwareVersion").objects.create(profile=profile, **row)
    for row in CONNECTORS:
        apps.get_model("chargers", "ConnectorSpec").objects.create(profile=profile, **row)
    for row in MEASURANDS:
        defaults = {"level": "connector", "interval_charging": _DURING_CHARGING, "interval_standby": ""}
        apps.get_model("chargers", "MeasurandSpec").objects.create(profile=profile, **{**defaults, **row})
    for row in DATA_TRANSFERS:
        schema = row["data_schema"]
        # jsonb forgets key order: keep the order the form asks its fields in (as the app's model save does).
        properties = {n: {"propertyOrder": i, **p} for i, (n, p) in enumerate(schema["properties"].items())}
        apps.get_model("chargers", "DataTransferSpec").objects.create(
            profile=profile,
            vendor_id="Etrel",
            direction="to_charger",
            **{**row, "data_schema": {**schema, "properties": properties}},
        )
    for row in INTERFACES:
        apps.get_model("chargers", "ChargerInterface").objects.create(profile=profile, **row)


def unload_inch(apps, schema_editor):
    apps.get_model("chargers", "ChargerModel").objects.filter(vendor=VENDOR, model=MODEL).delete()


class Migration(migrations.Migration):
    # Needs only 0003's tables; it follows 0005 (committed first, on 0003) so that the graph has one leaf.
    dependencies = [("chargers", "0003_charger_models"), ("chargers", "0005_remote_operations")]

    operations = [migrations.RunPython(load_inch, unload_inch)]
