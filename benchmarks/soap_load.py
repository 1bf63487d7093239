"""OCPP 1.6 SOAP figures (issue 12): requests per second one daphne process answers, and the latency of a command
to a SOAP charger through the whole pipeline.

    .venv/bin/python -m benchmarks.soap_load [--chargers 50] [--seconds 10] [--clients 8] [--commands 200]
        [--database-url URL] [--redis-url URL]

Starts its own PostgreSQL database (bench_soap, or --database-url), one daphne process and one Celery worker on
Redis db 4 (or --redis-url), and measures:
1. Heartbeats (then StatusNotifications) POSTed by --clients client processes over keep-alive connections, each
   request a whole envelope with chargeBoxIdentity, WS-Addressing and Basic auth, for --seconds: answers/s and
   latency percentiles;
2. a ClearCache command (REST POST) to one SOAP charger (a lean HTTP server answering Accepted), one at a time:
   POST -> the request at the charger, and POST -> answer stored (p50/p99 over --commands).
"""

import argparse
import base64
import http.client
import multiprocessing
import os
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks import harness
from benchmarks.commands_load import answered_at, api_token, celery_worker, percentiles, post

DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bench_soap"
SECRET = "bench-soap"
CS = "urn://Ocpp/Cs/2015/10/"
CP = "urn://Ocpp/Cp/2015/10/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
WSA = "http://www.w3.org/2005/08/addressing"

BODIES = {
    "heartbeat": f'<heartbeatRequest xmlns="{CS}"/>',
    "status": f'<statusNotificationRequest xmlns="{CS}"><connectorId>1</connectorId><status>Available</status>'
    "<errorCode>NoError</errorCode><timestamp>2026-11-30T12:00:00Z</timestamp></statusNotificationRequest>",
}
ACTIONS = {"heartbeat": "/Heartbeat", "status": "/StatusNotification"}


def envelope(ident: str, kind: str, reply_to: str = "http://127.0.0.1:9/cp") -> bytes:
    return (
        f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}"><s:Header>'
        f'<chargeBoxIdentity xmlns="{CS}">{ident}</chargeBoxIdentity><a:Action>{ACTIONS[kind]}</a:Action>'
        f"<a:MessageID>urn:uuid:{uuid.uuid4()}</a:MessageID><a:From><a:Address>{reply_to}</a:Address></a:From>"
        f"</s:Header><s:Body>{BODIES[kind]}</s:Body></s:Envelope>"
    ).encode()


def auth_header(ident: str) -> str:
    key = harness.charger_key(SECRET, ident)
    return "Basic " + base64.b64encode(f"{ident}:{key}".encode()).decode()


def client(port: int, idents: list[str], kind: str, seconds: float, results) -> None:
    """One client process: POST requests for its chargers in turn until the time is up."""
    connection = http.client.HTTPConnection("127.0.0.1", port)
    latencies, errors, stop_at, i = [], 0, time.time() + seconds, 0
    headers = {ident: {"Content-Type": "application/soap+xml", "Authorization": auth_header(ident)} for ident in idents}
    while time.time() < stop_at:
        ident = idents[i % len(idents)]
        i += 1
        began = time.perf_counter()
        connection.request("POST", "/ocpp/soap/", envelope(ident, kind), headers[ident])
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            errors += 1
        latencies.append(time.perf_counter() - began)
    results.put((latencies, errors))


def request_rate(port: int, idents: list[str], kind: str, clients: int, seconds: float) -> tuple[float, list, int]:
    results = multiprocessing.Queue()
    share = [idents[i::clients] for i in range(clients)]
    processes = [
        multiprocessing.Process(target=client, args=(port, part, kind, seconds, results)) for part in share if part
    ]
    for process in processes:
        process.start()
    latencies, errors = [], 0
    for _ in processes:
        part, failed = results.get()
        latencies += part
        errors += failed
    for process in processes:
        process.join()
    return len(latencies) / seconds, latencies, errors


class LeanCharger(BaseHTTPRequestHandler):
    """A SOAP charger's ChargePointService that answers every ClearCache Accepted and notes when it arrived."""

    protocol_version = "HTTP/1.1"
    arrivals: dict[str, float] = {}
    arrived = threading.Event()

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        data = self.rfile.read(int(self.headers["Content-Length"]))
        message_id = data.split(b"MessageID>", 2)[1].split(b"<", 1)[0].decode()
        LeanCharger.arrivals[message_id.removeprefix("urn:uuid:")] = time.time()
        LeanCharger.arrived.set()
        body = (
            f'<s:Envelope xmlns:s="{SOAP12}" xmlns:a="{WSA}"><s:Header><a:Action>/ClearCacheResponse</a:Action>'
            f"<a:RelatesTo>{message_id}</a:RelatesTo></s:Header><s:Body>"
            f'<clearCacheResponse xmlns="{CP}"><status>Accepted</status></clearCacheResponse></s:Body></s:Envelope>'
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/soap+xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def command_latency(port: int, token: str, ident: str, count: int) -> tuple[list[float], list[float]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), LeanCharger)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    reply_to = f"http://127.0.0.1:{server.server_port}/cp"
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/soap+xml", "Authorization": auth_header(ident)}
    connection.request("POST", "/ocpp/soap/", envelope(ident, "heartbeat", reply_to), headers)
    connection.getresponse().read()  # the charger says where it listens
    api = http.client.HTTPConnection("127.0.0.1", port)
    to_call, starts, ids = [], [], []
    for i in range(count + 10):
        LeanCharger.arrived.clear()
        began = time.time()
        command = post(api, token, f"/api/v1/chargers/{ident}/commands/", {"action": "ClearCache", "payload": {}})
        if not LeanCharger.arrived.wait(30):
            raise RuntimeError(f"command {command['id']} never reached the charger")
        time.sleep(0.005)  # let the unique id be written before it is read
        if i >= 10:  # warm-up
            arrival = max(LeanCharger.arrivals.values())
            to_call.append(arrival - began)
            starts.append(began)
            ids.append(command["id"])
    time.sleep(1)
    stored = answered_at(ids)
    server.shutdown()
    return to_call, [stored[pk] - began for pk, began in zip(ids, starts, strict=True) if pk in stored]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chargers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--database-url", default=DATABASE_URL)
    parser.add_argument("--redis-url", default=harness.DEFAULT_REDIS_URL)
    args = parser.parse_args()
    harness.raise_nofile_limit()
    harness.database_prepare(args.database_url)
    harness.chargers_register(args.chargers, SECRET)
    token = api_token()
    idents = harness.charger_ids(args.chargers)
    rates = {}
    with harness.portal_running(args.database_url, args.redis_url) as portal:
        for kind in ("heartbeat", "status"):
            rates[kind] = request_rate(portal.port, idents, kind, args.clients, args.seconds)
        env = dict(
            os.environ,
            DATABASE_URL=args.database_url,
            REDIS_URL=args.redis_url,
            CHANNEL_PREFIX=f"bench{portal.port}",
            PYTHONUNBUFFERED="1",
        )
        with celery_worker(env):
            to_call, to_stored = command_latency(portal.port, token, idents[0], args.commands)
    print(
        f"\nOCPP 1.6 SOAP, one daphne process + one Celery worker (threads), PostgreSQL, load {harness.load_average()}"
    )
    for kind, (rate, latencies, errors) in rates.items():
        print(
            f"  {kind}: {rate:.0f} requests/s from {args.clients} clients over {args.chargers} chargers "
            f"({errors} errors); latency {percentiles(latencies)}"
        )
    print(f"  command POST -> request at the SOAP charger ({len(to_call)}): {percentiles(to_call)}")
    print(f"  command POST -> answer stored             ({len(to_stored)}): {percentiles(to_stored)}")


if __name__ == "__main__":
    main()
