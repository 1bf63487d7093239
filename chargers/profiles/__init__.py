"""Charger model profiles: the vendor integration questionnaire kept as data that drives the portal.

vocabulary (choices) and validation (field and JSON-schema checks) sit below models; selectors read, services
write; forms, views, urls and admin are the edges. Same app (label `chargers`), same tables.
"""
