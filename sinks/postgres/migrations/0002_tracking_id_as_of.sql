-- A tracking number moves when its submission is merged into another case. Keep the time of
-- the snapshot that placed it, so replays in any order end with the latest placement.
alter table case_tracking_ids add column as_of timestamptz not null default '-infinity';
