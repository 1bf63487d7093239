"""`{% load local_lists %}{% local_list_panel charge_point %}`: the charger page's local-list panel
(templates/rfid/_local_list_panel.html) with its figures, so that the page's view needs to compute nothing."""

from django import template

from chargers.models import ChargePoint
from rfid.locallist.selectors import local_list_status

register = template.Library()


@register.inclusion_tag("rfid/_local_list_panel.html", takes_context=True)
def local_list_panel(context: template.Context, charge_point: ChargePoint) -> dict:
    user = context.get("user")
    return {
        "charge_point": charge_point,
        "local_list": local_list_status(charge_point=charge_point),
        # Viewers see the figures; only who may change the charger gets the buttons (the API checks it again).
        "may_act": bool(user and user.has_perm("chargers.change_chargepoint")),
    }
