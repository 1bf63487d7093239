from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from chargers import services
from chargers.commands.admin import (
    CommandInline,
    ConfigurationKeyInline,
    command_urls,
    send_command_action,
    user_may_send_commands,
)
from chargers.models import (
    ChargePoint,
    ConnectionAttempt,
    Connector,
    DataTransferMessage,
    MessageLog,
    RegistrationStatus,
)
from chargers.ocpp.messages import CALL, CALLERROR, CALLRESULT
from chargers.profiles.selectors import vendor_error_meaning
from portal.admin_records import RecordAdmin, seconds_shown

# OCPP-J message types in words, as the spec names them (the log keeps the number the frame carried).
MESSAGE_TYPE_NAMES = {CALL: "Call", CALLRESULT: "CallResult", CALLERROR: "CallError"}


class ConnectorInline(admin.TabularInline):
    model = Connector
    extra = 0
    can_delete = False
    fields = (
        "connector_id",
        "status",
        "availability",
        "error_code",
        "vendor_error",
        "info",
        "status_timestamp",
        "power",
        "energy",
        "meter_timestamp",
    )
    readonly_fields = fields

    @admin.display(description="Power (W)")
    def power(self, obj: Connector) -> object:
        return obj.power_w

    @admin.display(description="Energy (Wh)")
    def energy(self, obj: Connector) -> object:
        return obj.energy_wh

    @admin.display(description="vendor error")
    def vendor_error(self, obj: Connector) -> str:
        # With its meaning from the charger's model profile (the vendor questionnaire).
        return vendor_error_meaning(charge_point=obj.charge_point, code=obj.vendor_error_code)


@admin.register(ChargePoint)
@seconds_shown(ChargePoint)
class ChargePointAdmin(admin.ModelAdmin):
    list_display = (
        "charge_point_id",
        "name",
        "registration_status",
        "is_online",
        "last_seen_s",
        "vendor",
        "model",
        "firmware_version",
        "has_auth_key",
    )
    list_filter = ("registration_status", "is_online", "transport", "vendor", "model", "firmware_version")
    search_fields = ("charge_point_id", "name", "serial_number", "charge_box_serial_number")
    readonly_fields = (
        "vendor",
        "model",
        "serial_number",
        "charge_box_serial_number",
        "firmware_version",
        "iccid",
        "imsi",
        "meter_type",
        "meter_serial_number",
        "last_boot_at",
        "heartbeat_interval_s",
        "is_online",
        "channel_name",
        "connected_at",
        "disconnected_at",
        "last_seen",
        "last_heartbeat_at",
        "remote_addr",
        "transport",
        "soap_address",
        "soap_address_seen_at",
        "diagnostics_status",
        "diagnostics_status_at",
        "firmware_status",
        "firmware_status_at",
        "created_at",
    )
    inlines = [ConnectorInline, ConfigurationKeyInline, CommandInline]
    actions = ["accept", "reject", send_command_action]

    def get_urls(self) -> list:
        return command_urls(self) + super().get_urls()

    @admin.display(boolean=True, description="key")
    def has_auth_key(self, obj: ChargePoint) -> bool:
        return obj.has_auth_key

    def has_send_command_permission(self, request: HttpRequest) -> bool:
        return user_may_send_commands(request.user)

    @admin.action(description="Accept the selected chargers", permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[ChargePoint]) -> None:
        for charge_point in queryset:
            services.charge_point_set_registration(charge_point=charge_point, status=RegistrationStatus.ACCEPTED)
        self.message_user(request, f"{queryset.count()} charger(s) accepted", messages.SUCCESS)

    @admin.action(description="Reject the selected chargers", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[ChargePoint]) -> None:
        for charge_point in queryset:
            services.charge_point_set_registration(charge_point=charge_point, status=RegistrationStatus.REJECTED)
        self.message_user(request, f"{queryset.count()} charger(s) rejected", messages.WARNING)


class MessageTypeFilter(admin.SimpleListFilter):
    title = "message type"
    parameter_name = "message_type"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [(str(number), name) for number, name in MESSAGE_TYPE_NAMES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[MessageLog]) -> QuerySet[MessageLog]:
        value = self.value()
        return queryset.filter(message_type=int(value)) if value and value.isdigit() else queryset


@admin.register(MessageLog)
@seconds_shown(MessageLog)
class MessageLogAdmin(RecordAdmin):
    list_display = (
        "created_at_s",
        "charge_point_ident",
        "direction",
        "message_type_name",
        "action",
        "unique_id",
        "error_code",
    )
    list_filter = ("direction", MessageTypeFilter, "action", "error_code")
    search_fields = ("charge_point_ident", "unique_id", "action")
    date_hierarchy = "created_at"
    list_select_related = False
    show_full_result_count = False
    readonly_fields = ("message_type_name",)
    exclude = ("message_type",)

    @admin.display(description="message type", ordering="message_type")
    def message_type_name(self, obj: MessageLog) -> str:
        if obj.message_type is None:
            return ""
        return MESSAGE_TYPE_NAMES.get(obj.message_type, str(obj.message_type))


@admin.register(ConnectionAttempt)
@seconds_shown(ConnectionAttempt)
class ConnectionAttemptAdmin(admin.ModelAdmin):
    list_display = ("created_at_s", "charge_point_ident", "remote_addr", "reason", "path")
    search_fields = ("charge_point_ident", "remote_addr", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(DataTransferMessage)
class DataTransferMessageAdmin(admin.ModelAdmin):
    list_display = ("received_at", "charge_point", "vendor_id", "message_id", "response_status")
    list_filter = ("vendor_id", "message_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


from chargers.profiles import admin as profiles_admin  # noqa: E402, F401  (registers the profile admins)
