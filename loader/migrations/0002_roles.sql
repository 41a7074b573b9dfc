-- 0002: the three database roles (NOLOGIN groups; grant them to LOGIN users) and their privileges.
--   clickstream_loader     writes raw.* and ops.* (clickstream-load, clickstream-hourly)
--   clickstream_transform  dbt: reads raw.* and ops.*, owns what it builds in staging/intermediate/marts/reports
--   clickstream_reporting  dashboards: read-only on marts.* and reports.*, nothing else (no raw payloads)
-- Roles are cluster-wide, so creating them tolerates "already exists" (another database got them first).
do $$
declare
    role_name text;
begin
    foreach role_name in array array['clickstream_loader', 'clickstream_transform', 'clickstream_reporting'] loop
        if not exists (select from pg_roles where rolname = role_name) then
            begin
                execute format('create role %I nologin', role_name);
            exception when duplicate_object or unique_violation then
                null;  -- created concurrently by a migration of another database
            end;
        end if;
    end loop;
end
$$;

-- dbt's schemas exist up front so their privileges can be set here, whoever runs dbt.
create schema if not exists staging;
create schema if not exists intermediate;
create schema if not exists marts;
create schema if not exists reports;

-- Nobody gets anything by default (PostgreSQL >= 15 already withholds CREATE on public; older ones do not).
revoke create on schema public from public;
revoke all on schema raw, ops, staging, intermediate, marts, reports from public;

-- Loader: append to raw, keep the books in ops.
grant usage on schema raw, ops to clickstream_loader;
grant select, insert on all tables in schema raw to clickstream_loader;
grant select, insert, update, delete on all tables in schema ops to clickstream_loader;
grant usage, select on all sequences in schema ops to clickstream_loader;

-- Transform (dbt): reads raw and ops, creates and owns its four schemas' relations.
grant usage on schema raw, ops to clickstream_transform;
grant select on all tables in schema raw, ops to clickstream_transform;
grant usage, create on schema staging, intermediate, marts, reports to clickstream_transform;
do $$
begin
    -- dbt may create further schemas of its own (e.g. store_failures' audit schema).
    execute format('grant create on database %I to clickstream_transform', current_database());
end
$$;

-- Reporting: marts and reports only, read-only.
grant usage on schema marts, reports to clickstream_reporting;
grant select on all tables in schema marts, reports to clickstream_reporting;
-- ... including what dbt creates later: dbt rebuilds tables on every run, so grant on creation, both for
-- dbt running as clickstream_transform (profile `role:`) and for dbt running as the migrating user (embedded).
alter default privileges for role clickstream_transform in schema marts, reports
    grant select on tables to clickstream_reporting;
alter default privileges in schema marts, reports
    grant select on tables to clickstream_reporting;
