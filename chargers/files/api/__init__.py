"""REST API of files exchanged with chargers (urls in chargers/files/urls.py): diagnostics, the firmware library
and rollouts. Thin: a selector reads or a service writes, the serializer formats."""
