"""REST API of the transactions app: one module per resource (urls in transactions/urls.py)."""
