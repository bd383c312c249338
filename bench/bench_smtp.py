"""Benchmark of the SMTP intake, against a baseline run in the same process.

    .venv/bin/python bench/bench_smtp.py [--messages 1500] [--connections 8]

1. Throughput: 10 KB mails over several concurrent SMTP connections, first to a bare
   aiosmtpd server whose handler discards the mail (the baseline), then to the Sportello
   intake (real parse workers, blob store with fsync, real Kafka broker with acks=all).
   The ratio intake/baseline is printed (goal: at least 30%).
2. Event-loop stall: the longest delay of a 5 ms ticker in the server's loop while a
   10 MB mail (text and a 7.5 MB attachment) arrives and is handled (goal: under 100 ms).

The load comes from a separate client process (this script with --client), so the client's
work does not run in the measured event loop. The intake publishes real submissions (about
1,700 per run) to complaints.intake of the broker given by --kafka (default:
SPORTELLO_KAFKA_BOOTSTRAP or 127.0.0.1:9092): point it at a broker whose pipeline may
receive them, e.g. a private one started with deploy/local/kafka.sh on another port.
"""

import argparse
import asyncio
import base64
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.report import Row, emit
from ingestors.smtp.server import SmtpIntake
from ingestors.smtp.settings import SmtpSettings

RCPT = "reclami@sportello.local"


# --- the client (a separate process) -------------------------------------------------------


def mail(run: str, number: int, size: int) -> bytes:
    words = f"Segnalazione {number}: il lampione di via Verdi e' spento da giorni. "
    filler = (words * (size // len(words) + 1))[: max(0, size - 300)]
    lines = [filler[i : i + 76] for i in range(0, len(filler), 76)]
    head = (
        f"From: Cittadino {number} <c{number}@example.org>\r\nTo: {RCPT}\r\n"
        f"Subject: Lampione {run} {number}\r\nMessage-ID: <{run}.{number}@bench.example>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    )
    return head.encode() + "\r\n".join(lines).encode() + b"\r\n"


def big_mail(run: str, size: int) -> bytes:
    attachment = base64.encodebytes(os.urandom(size * 3 // 4)).replace(b"\n", b"\r\n")
    return (
        (
            f"From: c@example.org\r\nTo: {RCPT}\r\nSubject: grande {run}\r\n"
            f"Message-ID: <{run}.big@bench.example>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\n'
            "Content-Type: text/plain\r\n\r\nFoto della buca allegate.\r\n--B\r\n"
            'Content-Type: image/jpeg; name="buca.jpg"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + attachment
        + b"--B--\r\n"
    )


async def _reply(reader: asyncio.StreamReader) -> str:
    while True:
        line = (await reader.readline()).decode()
        if not line:
            raise ConnectionError("server closed the connection")
        if line[3:4] != "-":
            return line


async def _connection(port: int, messages: list[bytes], codes: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    await _reply(reader)
    writer.write(b"EHLO bench.example\r\n")
    await _reply(reader)
    for message in messages:
        for command in (b"MAIL FROM:<bench@example.org>\r\n", f"RCPT TO:<{RCPT}>\r\n".encode()):
            writer.write(command)
            await _reply(reader)
        writer.write(b"DATA\r\n")
        await _reply(reader)
        stuffed = message.replace(b"\r\n.", b"\r\n..")
        writer.write(stuffed + b".\r\n")
        codes.append((await _reply(reader))[:3])
    writer.write(b"QUIT\r\n")
    await _reply(reader)
    writer.close()


async def client(port: int, connections: int, count: int, size: int, run: str) -> dict[str, float]:
    if size >= 1_000_000:
        batches = [[big_mail(run, size)]]
    else:
        everything = [mail(run, n, size) for n in range(count)]
        batches = [everything[i::connections] for i in range(connections)]
    codes: list[str] = []
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, batch, codes) for batch in batches))
    elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "ok": codes.count("250"), "sent": len(codes)}


# --- the servers (this process) ------------------------------------------------------------


class Discard:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 OK"


@asynccontextmanager
async def baseline() -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(Discard(), hostname="baseline", data_size_limit=30 * 2**20, loop=loop),
        "127.0.0.1",
        0,
    )
    yield int(server.sockets[0].getsockname()[1])
    server.close()
    await server.wait_closed()


@asynccontextmanager
async def sportello(var_dir: Path, kafka: str) -> AsyncIterator[int]:
    settings = SmtpSettings(smtp_port=0, var_dir=var_dir, kafka_bootstrap=kafka)
    intake = await SmtpIntake.start(settings)
    try:
        yield intake.port
    finally:
        await intake.stop()


async def run_client(
    port: int, connections: int, count: int, size: int, run: str
) -> dict[str, float]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--client",
        str(port),
        str(connections),
        str(count),
        str(size),
        run,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate()
    return dict(json.loads(out))


class StallMeter:
    """The longest lateness of a 5 ms ticker in this event loop."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.005)
            self.worst = max(self.worst, time.perf_counter() - before - 0.005)

    def __enter__(self) -> "StallMeter":
        self._task = asyncio.get_running_loop().create_task(self._tick())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def main(messages: int, connections: int, kafka: str) -> None:
    run = f"bench{int(time.time())}"
    size = 10 * 1024
    with tempfile.TemporaryDirectory(prefix="sportello-bench-") as tmp:
        async with baseline() as port:
            await run_client(port, connections, 100, size, run + "w")
            base = await run_client(port, connections, messages, size, run + "b")
            with StallMeter() as base_stall:
                base_big = await run_client(port, 1, 1, 10 * 2**20, run + "B")
        async with sportello(Path(tmp), kafka) as port:
            await run_client(port, connections, 100, size, run + "w")
            ours = await run_client(port, connections, messages, size, run + "s")
            with StallMeter() as our_stall:
                our_big = await run_client(port, 1, 1, 10 * 2**20, run + "S")
    base_rate = base["ok"] / base["elapsed"]
    our_rate = ours["ok"] / ours["elapsed"]
    print(f"10 KB mails, {messages} over {connections} connections, broker {kafka}")
    print(f"  baseline (aiosmtpd, discard): {base_rate:8.1f} msg/s  ({base['ok']:.0f} x 250)")
    print(f"  sportello intake:             {our_rate:8.1f} msg/s  ({ours['ok']:.0f} x 250)")
    print(f"  ratio: {our_rate / base_rate:.1%}  (goal: >= 30%)")
    print("10 MB mail, longest event-loop stall while it arrives and is handled")
    print(f"  baseline: {base_stall.worst * 1000:6.1f} ms  ({base_big['elapsed']:.2f} s)")
    print(
        f"  sportello: {our_stall.worst * 1000:6.1f} ms  ({our_big['elapsed']:.2f} s, "
        f"{our_big['ok']:.0f} x 250)  (goal: < 100 ms)"
    )
    emit([
        Row("smtp", f"10 KB mails, {connections} connections", f"{our_rate:,.0f} msg/s",
            f"discarding aiosmtpd {base_rate:,.0f} msg/s", our_rate / base_rate, "≥ 30%"),
        Row("smtp", "longest event-loop stall, 10 MB mail", f"{our_stall.worst * 1000:.0f} ms",
            f"discarding aiosmtpd {base_stall.worst * 1000:.0f} ms", goal="< 100 ms"),
    ])  # fmt: skip


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--client":
        port, connections, count, size = (int(a) for a in sys.argv[2:6])
        print(json.dumps(asyncio.run(client(port, connections, count, size, sys.argv[6]))))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--kafka", default=os.environ.get("SPORTELLO_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
    )
    args = parser.parse_args()
    asyncio.run(main(args.messages, args.connections, args.kafka))
