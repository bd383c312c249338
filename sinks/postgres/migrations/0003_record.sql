-- The record: every event of every history topic, submissions and their attachments' metadata,
-- each version of each case, and the dead letters. Rows are keyed by what makes them one fact
-- (an event id, a submission id, a case version), so a replay or a redelivery writes nothing new.

-- case_events keeps one row per event id wherever it was seen: an SLA alert on complaints.sla
-- and on the body's routed topic is one row, with both topics listed. An event about a
-- submission (received, follow-up) names its tracking id; the case is found through
-- case_tracking_ids until a copy of the event names the case itself.
alter table case_events alter column case_id drop not null;
alter table case_events
    add column tracking_id text,
    add column subject     text,
    add column topics      text[] not null default '{}';
create index case_events_by_tracking_id on case_events (tracking_id) where tracking_id is not null;
-- The metrics count assignments and SLA alerts by time.
create index case_events_by_type_time on case_events (type, time)
    where type in ('sportello.case.assigned', 'sportello.sla.alert');

-- Every version of every case, from its snapshots: the status history, and what the metrics
-- ask "as of" a time. valid_until is the time of the next version (null: the latest one).
create table case_versions (
    case_id          text        not null,
    version          integer     not null,
    event_id         text        not null,
    status           text        not null,
    body             text,
    category         text,
    channel          text        not null,
    opened_at        timestamptz not null,
    legal_receipt_at timestamptz not null,
    updated_at       timestamptz not null,
    deadline_at      timestamptz,
    valid_until      timestamptz,
    primary key (case_id, version)
);
create index case_versions_resolved on case_versions (updated_at) where status = 'resolved';
-- Open versions that may be current at a time: the backlog and the triage queue "as of".
create index case_versions_open_until on case_versions (coalesce(valid_until, 'infinity'))
    where status in ('received', 'assigned', 'acknowledged', 'in_progress',
                     'waiting_for_citizen', 'reassigned');

-- One row per submission (the first copy read wins; a webhook retry is the same submission).
-- The whole event is in case_events; the identifiers here are normalized for erasure requests.
create table submissions (
    submission_id    text primary key,
    event_id         text        not null,
    channel          text        not null,
    received_at      timestamptz not null,
    legal_receipt_at timestamptz not null,
    language         text,
    category_hint    text,
    operator_id      text,
    district         text,
    attachments      integer     not null,
    email_key        text,
    phone_key        text,
    tax_code_key     text,
    recorded_at      timestamptz not null default now()
);
create index submissions_by_received_at on submissions (received_at);
create index submissions_by_email on submissions (email_key) where email_key is not null;
create index submissions_by_phone on submissions (phone_key) where phone_key is not null;
create index submissions_by_tax_code on submissions (tax_code_key) where tax_code_key is not null;

-- Attachments' metadata (the bytes are in the blob store, named by their SHA-256), of
-- submissions and follow-ups alike, under the tracking id they came with.
create table attachments (
    tracking_id text    not null,
    sha256      text    not null,
    event_id    text    not null,
    kind        text    not null check (kind in ('attachment', 'raw')),
    media_type  text    not null,
    size        bigint  not null,
    filename    text,
    primary key (tracking_id, sha256)
);

-- What could not be read, why, and where it is kept: from complaints.deadletter, and what the
-- sink itself could not read or store (named after the message's topic/partition@offset).
create table dead_letters (
    event_id     text primary key,
    stage        text        not null,
    source_ref   text        not null,
    reason       text        not null,
    detail       text        not null,
    received_at  timestamptz not null,
    raw_sha256   text,
    raw_location text,
    topics       text[]      not null default '{}',
    event        jsonb,
    recorded_at  timestamptz not null default now()
);
create index dead_letters_by_received_at on dead_letters (received_at);

-- The read side: Open311 lists cases by opening time and status.
create index cases_by_opened_at on cases (opened_at);
create index cases_by_status_updated on cases (status, updated_at);
