-- Erasure of personal data, and what the metrics publisher has published.

-- One row per erasure: on a citizen's request, or by the retention policy. It names the cases
-- and submissions it touched and the kind of identifier asked for, never the identifier.
create table erasures (
    erasure_id      bigserial primary key,
    requested_at    timestamptz not null,
    reason          text        not null check (reason in ('request', 'retention')),
    identifier_kind text        not null,
    case_ids        text[]      not null,
    tracking_ids    text[]      not null,
    rows_redacted   integer     not null
);

-- The cases and submissions whose personal data is erased. The sink redacts whatever it
-- writes about them afterwards, a replay included; a replay never truncates this table.
create table erased (
    subject_id text primary key,
    erasure_id bigint not null references erasures (erasure_id)
);

-- The last figures published for each window, so that a window is published again only
-- when its figures change (facts that arrived late), whichever sink publishes it.
create table metrics_published (
    window_size  text        not null,
    window_start timestamptz not null,
    digest       text        not null,
    event_id     text        not null,
    published_at timestamptz not null,
    primary key (window_size, window_start)
);

-- The retention policy looks for cases closed long ago.
create index cases_finished_by_updated on cases (updated_at) where status in ('closed', 'rejected');
