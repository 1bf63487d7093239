"""The operator's charger pages, mounted at /chargers/ by chargers/page_urls.py: the list (charge_points.py),
a charger's page (context.py builds what it shows), its operations (operations.py) and how answers and frames
read (presenting.py). Thin edges: every page needs a staff login; a page that changes something also the model
permission the admin and the API ask for (viewers have none: portal/backends.py)."""
