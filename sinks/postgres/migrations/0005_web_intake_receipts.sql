-- What the web intake has accepted: its idempotency memory (per API client and key), and what
-- it can tell about a complaint before the worker has opened its case. No personal data.
create table web_intake_receipts (
    client_id       text        not null,
    idempotency_key text        not null,  -- 'key:<caller's key>' or 'req:<random>' without one
    fingerprint     text        not null,  -- the request a key is bound to
    tracking_id     text        not null,
    state           text        not null check (state in ('pending', 'accepted')),
    claimed_at      timestamptz not null,  -- a pending claim older than the lease may be taken over
    accepted_at     timestamptz,           -- when Kafka acknowledged the event
    channel         text        not null,
    service_code    text,
    primary key (client_id, idempotency_key)
);
create index web_intake_receipts_by_tracking_id on web_intake_receipts (tracking_id);
create index web_intake_receipts_by_accepted_at on web_intake_receipts (accepted_at);
