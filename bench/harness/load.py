"""The load generator: ~1 KB complaints, open loop at a fixed rate, to the web intake (HTTP,
`POST /v1/complaints`) and the SMTP intake, as a city's callers would send them.

Open loop: submission n is due at `start + n / rate` whatever happened to the ones before
(a closed loop would slow down with the system and hide its queueing). Each one takes a
keep-alive connection from a pool, and is retried as real callers retry: after a 503 (web)
with the same `Idempotency-Key`, after a 451 (SMTP) with the same Message-ID, after a
dropped connection likewise, until accepted or `give_up_s` passed. What the intake
answered is kept per submission (`Outcome`): the fault suite checks the pipeline against
exactly what was acknowledged.

Every submission is a different citizen's (own e-mail address and phone), so none is
merged into another's case, and carries the run's tag in its text.
"""

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from bench.harness.stack import API_CLIENT, API_KEY
from schemas.submission import Channel, tracking_id_for

COMPLAINTS = [
    ("buche_stradali", "C'è una buca profonda in {where}: le auto la schivano all'ultimo e "
     "chi va in bicicletta rischia di cadere, soprattutto la sera quando non si vede."),
    ("lampioni", "Il lampione davanti a {where} è spento da più di una settimana e il tratto "
     "di marciapiede resta completamente al buio."),
    ("raccolta_rifiuti", "I cassonetti in {where} non vengono svuotati da giorni, i sacchi "
     "sono per terra e con il caldo l'odore è insopportabile."),
    ("semafori", "Il semaforo pedonale all'incrocio di {where} resta rosso per minuti e poi "
     "verde per pochi secondi: gli anziani non riescono ad attraversare."),
    ("alberi", "Un grosso ramo dell'albero davanti a {where} è spezzato e pende sopra il "
     "marciapiede, temo che cada addosso a qualcuno."),
    ("sosta_irregolare", "Ogni mattina in {where} ci sono auto in sosta sulle strisce "
     "pedonali e davanti allo scivolo per i disabili."),
    (None, "Scrivo per segnalare un problema in {where} che nessuno ha ancora risolto "
     "nonostante le telefonate al centralino nelle ultime settimane."),
]  # fmt: skip
FILLER = (
    "Abito qui da molti anni e non ho mai visto la situazione così trascurata. Vi chiedo "
    "di intervenire al più presto e di farmi sapere quando è previsto un sopralluogo. "
    "Resto a disposizione per qualunque chiarimento, anche per telefono. Grazie. "
)
STREETS = [
    "via Padova", "viale Monza", "corso Buenos Aires", "via Celoria", "via Ripamonti",
    "via Lorenteggio", "via Giambellino", "corso Lodi", "via Novara", "via Farini",
]  # fmt: skip
RCPT = "reclami@sportello.local"


def complaint_text(tag: str, n: int, size: int, rng: random.Random) -> tuple[str, str | None]:
    """(text of about `size` bytes, category hint) for submission `n` of run `tag`."""
    hint, template = COMPLAINTS[n % len(COMPLAINTS)]
    where = f"{rng.choice(STREETS)} {rng.randrange(1, 400)}"
    text = template.format(where=where) + " "
    marker = f" [{tag} {n}]"
    while len(text.encode()) < size - len(marker):
        text += FILLER
    return text.encode()[: size - len(marker)].decode(errors="ignore") + marker, hint


@dataclass
class Outcome:
    """One submission: when it was due and sent, what the intake answered, how often."""

    n: int
    channel: str  # "web" or "email"
    ref: str  # the Idempotency-Key or the Message-ID
    due: float  # time.time() at which the open loop scheduled it
    tracking_id: str | None = None
    accepted_at: float | None = None
    first_answer_s: float | None = None
    attempts: int = 0
    refusals: int = 0  # 503 / 451 answers and dropped connections before acceptance
    gave_up: bool = False
    rejected: str = ""  # an answer that no retry changes (a 4xx, a 5xx SMTP reply)


# What one exchange on a connection gave: accepted, refused for now (retry after the
# seconds given), or rejected; and the tracking number when accepted.
Answer = tuple[Literal["accepted", "retry", "rejected"], str | None, float]
Exchange = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[Answer]]


@dataclass
class _Pool:
    port: int
    size: int
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = field(
        default_factory=asyncio.Queue
    )

    def __post_init__(self) -> None:
        for _ in range(self.size):
            self.free.put_nowait(None)


class Load:
    """Open-loop submissions to the intakes at `web_port` and `smtp_port`; a share
    `email_share` of them by e-mail. `outcomes` grows as it runs."""

    def __init__(
        self,
        web_port: int,
        smtp_port: int,
        tag: str,
        *,
        email_share: float = 0.2,
        connections: int = 16,
        size: int = 1024,
        give_up_s: float = 300.0,
    ) -> None:
        self.tag = tag
        self.email_share = email_share
        self.size = size
        self.give_up_s = give_up_s
        self.outcomes: list[Outcome] = []
        self._web = _Pool(web_port, connections)
        self._smtp = _Pool(smtp_port, max(2, connections // 4))
        self._rng = random.Random(tag)
        self._tasks: set[asyncio.Task[None]] = set()
        self._next = 0

    # -- what it did ---------------------------------------------------------------------

    def accepted(self) -> dict[str, Outcome]:
        return {o.tracking_id: o for o in self.outcomes if o.tracking_id and o.accepted_at}

    def tried(self) -> set[str]:
        return {o.tracking_id for o in self.outcomes if o.tracking_id}

    def refusals(self) -> int:
        """How many submissions were refused at least once (503, 451, a dropped
        connection) before being accepted or given up."""
        return sum(1 for o in self.outcomes if o.refusals)

    def in_flight(self) -> int:
        return len(self._tasks)

    # -- sending -------------------------------------------------------------------------

    async def run(self, rate: float, seconds: float, stop: asyncio.Event | None = None) -> None:
        """Send at `rate` per second for `seconds` (or until `stop` is set), then wait for
        every submission sent to be answered or given up."""
        loop = asyncio.get_running_loop()
        start = loop.time()
        wall = time.time()
        i = 0
        while (due := i / rate) < seconds and not (stop is not None and stop.is_set()):
            delay = start + due - loop.time()
            if delay > 0:
                if stop is None:
                    await asyncio.sleep(delay)
                else:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    if stop.is_set():
                        break
            self._launch(wall + due)
            i += 1
        await self.drain()

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def _launch(self, due: float) -> None:
        n = self._next
        self._next += 1
        email = self._rng.random() < self.email_share
        outcome = Outcome(n, "email" if email else "web", f"{self.tag}-{n}", due)
        self.outcomes.append(outcome)
        task = asyncio.create_task(self._email(outcome) if email else self._post(outcome))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, o: Outcome) -> None:
        text, hint = complaint_text(self.tag, o.n, self.size, self._rng)
        body = json.dumps({
            "text": text,
            "channel": "web",
            "citizen": {"name": f"Cittadino {o.n}", "email": f"c{o.n}.{self.tag}@example.org",
                        "phone": f"+39 3{self._rng.randrange(10**8, 10**9)}"},
            "category_hint": hint,
        }).encode()  # fmt: skip
        o.tracking_id = tracking_id_for(Channel.WEB, f"key:{API_CLIENT}:{o.ref}")
        head = (
            f"POST /v1/complaints HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {API_KEY}\r\nIdempotency-Key: {o.ref}\r\n"
            f"X-Request-Start: t={int(o.due * 1e6)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        await self._attempts(o, self._web, lambda r, w: _http(r, w, head + body))

    async def _email(self, o: Outcome) -> None:
        text, _ = complaint_text(self.tag, o.n, self.size, self._rng)
        mail = (
            f"From: Cittadino {o.n} <m{o.n}.{self.tag}@example.org>\r\n"
            f"To: {RCPT}\r\nSubject: Segnalazione {o.n}\r\n"
            f"Message-ID: <{o.ref}@bench.example>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "\r\n".join(_wrap(text))
            + "\r\n"
        ).encode()
        await self._attempts(o, self._smtp, lambda r, w: _smtp(r, w, mail))

    async def _attempts(self, o: Outcome, pool: _Pool, exchange: Exchange) -> None:
        """Try until accepted or `give_up_s` after the submission was due."""
        while True:
            o.attempts += 1
            conn = await pool.free.get()
            started = time.time()
            answer: Answer | None = None
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", pool.port, limit=2**20)
                    if pool is self._smtp:
                        await _smtp_greet(*conn)
                answer = await asyncio.wait_for(exchange(*conn), 30)
            except (OSError, asyncio.IncompleteReadError, TimeoutError):
                if conn is not None:
                    conn[1].close()
                conn = None
            finally:
                pool.free.put_nowait(conn)
            if o.first_answer_s is None:
                o.first_answer_s = time.time() - started
            if answer is not None and answer[0] == "accepted":
                o.accepted_at = time.time()
                o.tracking_id = answer[1] or o.tracking_id
                return
            if answer is not None and answer[0] == "rejected":
                o.rejected = answer[1] or "rejected"
                return
            o.refusals += 1
            if time.time() - o.due > self.give_up_s:
                o.gave_up = True
                return
            await asyncio.sleep(answer[2] if answer is not None else 1.0)


def _wrap(text: str, width: int = 76) -> Iterator[str]:
    line = ""
    for word in text.split():
        if len(line) + len(word) + 1 > width:
            yield line
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        yield line


async def _http(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> Answer:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, retry_after = 0, 1.0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"retry-after":
            retry_after = min(float(value), 5.0)
    payload = await reader.readexactly(length)
    if status == 202:
        return "accepted", str(json.loads(payload)["tracking_id"]), 0.0
    if status in (503, 429) or status >= 500:
        return "retry", None, retry_after
    return "rejected", f"HTTP {status}: {payload[:200]!r}", 0.0


async def _reply(reader: asyncio.StreamReader) -> str:
    while True:
        line = (await reader.readline()).decode(errors="replace")
        if not line:
            raise ConnectionError("the SMTP server closed the connection")
        if line[3:4] != "-":
            return line


async def _smtp_greet(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await _reply(reader)
    writer.write(b"EHLO load.bench.example\r\n")
    await _reply(reader)


async def _smtp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, mail: bytes) -> Answer:
    writer.write(b"RSET\r\n")
    await _reply(reader)
    for command in (b"MAIL FROM:<load@bench.example>\r\n", f"RCPT TO:<{RCPT}>\r\n".encode()):
        writer.write(command)
        if not (await _reply(reader)).startswith("250"):
            return "retry", None, 1.0
    writer.write(b"DATA\r\n")
    if not (await _reply(reader)).startswith("354"):
        return "retry", None, 1.0
    writer.write(mail.replace(b"\r\n.", b"\r\n..") + b".\r\n")
    answer = await _reply(reader)
    if answer.startswith("250"):
        tracking = answer.rsplit(":", 1)[-1].strip() if "SP-" in answer else None
        return "accepted", tracking, 0.0
    if answer.startswith("4"):
        return "retry", None, 1.0
    return "rejected", f"SMTP {answer.strip()}", 0.0
