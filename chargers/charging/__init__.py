"""Charging profiles as data (issue 14 item 1): a ChargingProfile row per charger and connector, validated by the
OCPP 1.6 smart-charging rules (validation.py, pure), sent with SetChargingProfile and removed with
ClearChargingProfile through the command pipeline, and the charger's composite schedule asked for with
GetCompositeSchedule. What the charger answered stays on the Command rows the profile points at."""
