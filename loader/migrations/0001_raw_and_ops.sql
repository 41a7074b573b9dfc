-- 0001: raw landing tables and the ops bookkeeping the loader writes.
-- raw.events typed columns = contract.raw_columns("collected_event") (a test checks they agree);
-- the whole line is kept in payload. Raw tables stay lean (no indexes): dedupe happens in dbt.
create schema if not exists raw;
create schema if not exists ops;

create table if not exists raw.events (
    event_id uuid not null,
    event_type text not null,
    ts timestamptz not null,
    sent_at timestamptz,
    received_at timestamptz not null,
    event_at timestamptz not null,
    clock_skew_ms bigint,
    session_id text not null,
    anonymous_id text not null,
    user_id text,
    user_id_source text,
    page_url text,
    page_title text,
    referrer text,
    referrer_host text,
    is_bot boolean not null,
    bot_reason text,
    request_id text,
    payload jsonb not null,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now(),
    _source_key text not null,
    _line_no integer not null
);

-- Dead-letter events the collector refused (typed columns = contract.raw_columns("rejected_event")).
create table if not exists raw.rejected_events (
    received_at timestamptz not null,
    request_id text,
    reason text not null,
    error text,
    event_index bigint,
    event_id text,
    payload jsonb,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now(),
    _source_key text not null,
    _line_no integer not null
);

-- Lines of raw objects the loader could not load (not JSON, missing keys, wrong types).
create table if not exists raw.quarantine (
    _source_key text not null,
    _line_no integer not null,
    reason text not null,
    raw_line text not null,
    _load_id bigint not null,
    _loaded_at timestamptz not null default now()
);

-- One row per clickstream-load run.
create table if not exists ops.load_runs (
    load_id bigint generated always as identity primary key,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running',  -- running | succeeded | partial | failed | aborted
    source_uri text,
    since_at timestamptz,
    until_at timestamptz,
    objects integer not null default 0,
    rows bigint not null default 0,
    bytes bigint not null default 0,
    quarantined bigint not null default 0,
    rejected bigint not null default 0,
    failed_objects integer not null default 0,
    error text
);

-- The manifest: every raw object loaded (or found corrupt), written in the same transaction as its rows.
create table if not exists ops.loaded_objects (
    source_key text primary key,
    kind text not null,                 -- events | rejected
    partition_hour timestamptz not null,
    etag text,
    size_bytes bigint not null,
    load_id bigint not null references ops.load_runs (load_id),
    loaded_at timestamptz not null default now(),
    rows bigint not null default 0,
    quarantined bigint not null default 0,
    status text not null default 'loaded',  -- loaded | corrupt (bad gzip: final) | failed (PostgreSQL refused rows: retried)
    error text
);
-- The loader reads the manifest for the listed hour partitions only.
create index if not exists loaded_objects_partition_hour_idx on ops.loaded_objects (partition_hour);

-- dbt results stored by the hourly job: one row per dbt invocation and per node.
create table if not exists ops.dbt_invocations (
    invocation_id text primary key,
    load_id bigint references ops.load_runs (load_id),
    command text not null,
    started_at timestamptz not null,
    finished_at timestamptz not null,
    success boolean not null,
    error text
);

create table if not exists ops.dbt_node_results (
    invocation_id text not null references ops.dbt_invocations (invocation_id),
    unique_id text not null,
    resource_type text not null,
    status text not null,
    failures bigint,
    message text,
    execution_time_s double precision,
    primary key (invocation_id, unique_id)
);
