"""Classifier speed: single-text latency and batch throughput of the shipped model.

    .venv/bin/python bench/bench_classify.py [--texts 2000] [--batch 500]

Baseline, run in the same process on the same texts: text normalization alone (the least any
classifier must do per text), so the ratio says how much the model itself costs.
"""

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness.report import Row, emit
from processors.classify import Classifier, load_corpus, ocr_noise
from processors.classify.features import normalize


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()

    t0 = time.perf_counter()
    classifier = Classifier.load()
    load_s = time.perf_counter() - t0
    rng = random.Random(1)
    rows = rng.sample(load_corpus(), args.texts)
    texts = [r.text if i % 4 else ocr_noise(r.text, rng) for i, r in enumerate(rows)]
    mean_chars = statistics.mean(len(t) for t in texts)

    classifier.predict_many(texts[:50])  # warm caches
    latencies = []
    for text in texts[:500]:
        t = time.perf_counter()
        classifier.predict(text)
        latencies.append(time.perf_counter() - t)
    latencies.sort()

    t, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(texts), args.batch):
        classifier.predict_many(texts[start : start + args.batch])
    batch_s, batch_cpu = time.perf_counter() - t, time.process_time() - cpu

    t = time.perf_counter()
    for text in texts:
        normalize(text)
    base_s = time.perf_counter() - t

    print(f"cpus: {os.cpu_count()}, model {classifier.version.model_id}, load {load_s:.2f} s")
    print(f"texts: {len(texts)} (a quarter OCR-damaged), mean {mean_chars:.0f} chars")
    print(
        f"single predict: p50 {latencies[len(latencies) // 2] * 1e3:.2f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1e3:.2f} ms "
        f"-> {1 / statistics.mean(latencies):.0f} texts/s one at a time"
    )
    print(
        f"batch predict ({args.batch}/batch): {len(texts) / batch_s:.0f} texts/s wall, "
        f"{len(texts) / batch_cpu:.0f} texts per CPU-second (one core; the machine's load "
        f"average was {os.getloadavg()[0]:.1f})"
    )
    print(
        f"baseline (normalize only): {len(texts) / base_s:.0f} texts/s; "
        f"model/baseline time ratio {batch_s / base_s:.1f}x"
    )
    p50_ms = latencies[len(latencies) // 2] * 1e3
    figure = f"{len(texts) / batch_s:,.0f} texts/s (single text: p50 {p50_ms:.2f} ms)"
    emit([
        Row("classify", f"batch predict ({args.batch}/batch)", figure,
            f"normalize only {len(texts) / base_s:,.0f} texts/s", base_s / batch_s,
            ratio_text=f"{batch_s / base_s:.1f}x the time"),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
