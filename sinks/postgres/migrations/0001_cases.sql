-- Cases as they are now, every event about them, and which tracking number belongs to which case.

create table cases (
    case_id          text primary key,
    version          integer     not null,
    status           text        not null,
    body             text,
    category         text,
    opened_at        timestamptz not null,
    legal_receipt_at timestamptz not null,
    updated_at       timestamptz not null,
    deadline_at      timestamptz,
    snapshot         jsonb       not null
);
create index cases_open_by_body on cases (body, status);

-- Append-only history: one row per event, whatever its type. The event id makes writes
-- idempotent: a replayed or redelivered event finds its row already there.
create table case_events (
    event_id    text primary key,
    case_id     text        not null,
    type        text        not null,
    time        timestamptz not null,
    source      text        not null,
    event       jsonb       not null,
    recorded_at timestamptz not null default now()
);
create index case_events_by_case on case_events (case_id, time);

create table case_tracking_ids (
    tracking_id text primary key,
    case_id     text not null
);
create index case_tracking_ids_by_case on case_tracking_ids (case_id);
