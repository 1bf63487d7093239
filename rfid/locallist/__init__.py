"""Local authorization lists: which tags belong on each charger's list, the version the portal owns, what the
charger confirmed, and the sync that keeps them equal through the command pipeline (no button to press).

The tables belong to the rfid app (label `rfid`): models.py here is imported by rfid/models.py.
"""
