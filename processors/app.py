"""The Faust application: stateful stream processors between the intake and the sinks.

`build_app` creates the app, its topics and tables, and registers the agents of
`processors.stages`; nothing happens at import time. The logic lives in plain modules
(`processors.dedup`, `processors.cases`, `processors.routing`, `processors.lifecycle`,
`processors.sla`); agents only move bytes and call it.
"""

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import faust

from processors.bodies import load_bodies
from processors.cases.book import CaseBook, Classify, ClassifyMany, Guess
from processors.classify import Classifier, routing_confidence
from processors.classify.model import MODEL_DIR
from processors.consumer import install as install_consumer
from processors.dedup import Deduplicator
from processors.recovery import BulkTableManager
from processors.routing import load_rules
from processors.settings import WorkerSettings
from processors.sla.clock import Clock, ScaledClock, SystemClock
from processors.sla.policy import load_policies
from processors.stages import cases, dedup, intake, metrics
from processors.stages.batch import BATCH_MAX
from processors.stages.output import Outputs
from processors.stages.topology import build_topology
from processors.taxonomy import load_taxonomy
from schemas.routing import CategoryCandidate


def worker_clock(settings: WorkerSettings) -> Clock:
    if settings.worker_clock_rate == 1.0:
        return SystemClock()
    origin = settings.worker_clock_origin or datetime.now(UTC)
    return ScaledClock(settings.worker_clock_rate, origin)


def model_classify(classifier: Classifier, owners: Mapping[str, str]) -> ClassifyMany:
    """The classifier as the case book asks for it, for many texts at once (one
    vectorization and one matrix product). The confidence is the routing confidence: how
    sure the model is of the body, which is what sorting needs (a text torn between potholes
    and manholes is still surely for the roads department)."""

    def classify(texts: Sequence[str]) -> list[Guess]:
        return [
            Guess(
                p.category,
                routing_confidence(p, owners),
                p.language,
                tuple(
                    CategoryCandidate(category=a.category, confidence=a.confidence)
                    for a in p.alternatives
                ),
            )
            for p in classifier.predict_many(texts)
        ]

    return classify


def one_at_a_time(classify: ClassifyMany) -> Classify:
    return lambda text: classify([text])[0]


def build_book(settings: WorkerSettings, classify: Classify | None = None) -> CaseBook:
    """The case book of this deployment: its bodies, taxonomy, rules, SLA policies and
    classifier (the shipped model, or `SPORTELLO_CLASSIFIER_DIR`, unless one is given)."""
    bodies = load_bodies(settings.bodies_file)
    body_ids = frozenset(b.id for b in bodies)
    taxonomy = load_taxonomy(settings.taxonomy_file, body_ids)
    codes = frozenset(c.code for c in taxonomy)
    classify_many = None
    if classify is None:
        model = Classifier.load(settings.classifier_dir or MODEL_DIR, categories=codes)
        classify_many = model_classify(model, {c.code: c.body for c in taxonomy})
        classify = one_at_a_time(classify_many)
    policies = load_policies(settings.sla_policies_file, body_ids=body_ids, category_codes=codes)
    return CaseBook(
        classify=classify,
        rules=load_rules(settings.rules_file, bodies, taxonomy),
        policies=policies,
        calendar=policies.calendar,
        triage_below=settings.triage_below,
        categories=codes,
        bodies=body_ids,
        classify_many=classify_many,
    )


def build_app(settings: WorkerSettings) -> faust.App:
    app = faust.App(
        settings.worker_app_id,
        broker=[f"kafka://{b.strip()}" for b in settings.kafka_bootstrap.split(",")],
        store="memory://",
        datadir=settings.worker_data_dir,
        autodiscover=False,
        # Tables keep JSON; every topic of ours says "raw" itself (events are our own JSON).
        key_serializer="json",
        value_serializer="json",
        web_enabled=settings.worker_web_port is not None,
        web_port=settings.worker_web_port or 6066,
        web_host="127.0.0.1",
        topic_partitions=settings.topic_partitions,
        topic_replication_factor=settings.topic_replication,
        topic_disable_leader=True,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # A produce request carries one batch per partition, and one request is in flight
        # per broker: with the default 16 KB a single-partition stage's batch of a few
        # hundred ~1.5 KB events waits for dozens of round trips.
        producer_max_batch_size=512 * 1024,
        broker_commit_interval=1.0,
        # Tables recover from their changelogs a fetched batch at a time, not record by
        # record (processors.recovery).
        TableManager=BulkTableManager,
    )
    # Before the topics: Faust 0.15.3's own consumer loses messages in a rebalance.
    install_consumer(app)
    # Faust stops handing out messages while more than this many table writes wait to be
    # sent (100 by default), then drains them in steps that each wait up to 0.1 s: a batch
    # of a few hundred events writes more than that at once, and every stage stalled.
    app.producer.buffer.max_messages = 10 * BATCH_MAX
    topology = build_topology(app, settings.topic_partitions)
    outputs = Outputs(app)
    clock = worker_clock(settings)
    deduplicator = Deduplicator(
        identities=topology.identities, citizens=topology.citizens, places=topology.places
    )
    intake.register(app, topology, outputs, clock)
    dedup.register(app, topology, deduplicator, outputs, clock)
    cases.register(
        app, topology, build_book(settings), outputs, clock, tick_s=settings.worker_tick_s
    )
    metrics.register(app, host=settings.worker_metrics_host, port=settings.worker_metrics_port)
    return app
