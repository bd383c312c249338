-- What the citizen notifier (sinks/notify) has sent: one row per answer of a case, so that a
-- restart or a second notifier does not mail the citizen twice. No personal data: not the
-- address, not the text (they are in the case's snapshot).
create table citizen_notifications (
    notification_id text        primary key,  -- '<case id>/answer/<seq>'
    case_id         text        not null,
    tracking_id     text        not null,
    answer_seq      integer     not null,
    outcome         text        not null check (outcome in ('resolved', 'rejected')),
    state           text        not null check (state in ('sending', 'sent', 'refused')),
    claimed_at      timestamptz not null,     -- a 'sending' claim older than the lease is retaken
    message_id      text,
    reopen_link     boolean     not null default false,
    detail          text,                     -- why the relay refused it, for good
    sent_at         timestamptz,
    published_at    timestamptz               -- when sportello.case.notified was acknowledged
);
create index citizen_notifications_by_case on citizen_notifications (case_id);
