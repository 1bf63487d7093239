"""REST API of the chargers app: one module per resource (urls in chargers/urls.py)."""
