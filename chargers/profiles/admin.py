"""Admin for charger model profiles (the vendor questionnaire); the questionnaire pages at /chargers/models/
are the main way to fill them in, the admin is for quick fixes."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from chargers.profiles.models import (
    ChargerInterface,
    ChargerModel,
    ConnectorSpec,
    DataTransferSpec,
    FirmwareVersion,
    MeasurandSpec,
    QuestionnaireShareLink,
    VendorErrorCode,
)


class FirmwareVersionInline(admin.TabularInline):
    model = FirmwareVersion
    extra = 0


class ConnectorSpecInline(admin.TabularInline):
    model = ConnectorSpec
    extra = 0


class MeasurandSpecInline(admin.TabularInline):
    model = MeasurandSpec
    extra = 0


class DataTransferSpecInline(admin.StackedInline):
    model = DataTransferSpec
    extra = 0


class VendorErrorCodeInline(admin.TabularInline):
    model = VendorErrorCode
    extra = 0


class ChargerInterfaceInline(admin.TabularInline):
    model = ChargerInterface
    extra = 0


@admin.register(ChargerModel)
class ChargerModelAdmin(admin.ModelAdmin):
    list_display = ("vendor", "model", "status", "boot_vendor_pattern", "boot_model_pattern", "questionnaire")
    list_filter = ("status", "vendor")
    search_fields = ("vendor", "model")
    inlines = [
        FirmwareVersionInline,
        ConnectorSpecInline,
        MeasurandSpecInline,
        DataTransferSpecInline,
        VendorErrorCodeInline,
        ChargerInterfaceInline,
    ]

    @admin.display(description="page")
    def questionnaire(self, obj: ChargerModel) -> str:
        return format_html('<a href="/chargers/models/{}/">questionnaire</a>', obj.pk)


@admin.register(QuestionnaireShareLink)
class QuestionnaireShareLinkAdmin(admin.ModelAdmin):
    list_display = ("profile", "created_by", "created_at", "expires_at", "revoked", "submitted_at")
    list_filter = ("revoked",)
    readonly_fields = ("token", "created_by", "created_at", "submitted_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # created from the profile page, which shows the link

    @admin.action(description="Revoke the selected share links", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[QuestionnaireShareLink]) -> None:
        queryset.update(revoked=True)
