"""Remote commands: the Command record and its pipeline, in one package of the chargers app (label `chargers`,
same tables).

models (rows) <- selectors (reads) and services (create, validate, batch, cancel, schedule), pipeline (claim,
answer, fail, expire, reap), effects (what an answer changes), secrets (scrubbing), dispatch (the poke), bulk
(raw SQL twins) <- the edges: api, admin, forms, tasks. None of them imports the protocol room but the edges:
the room reads a charger's CALLRESULT into plain values (chargers/ocpp/results.py) and checks a payload against
its OCPP schema through a function the edges hand to the services.
"""
