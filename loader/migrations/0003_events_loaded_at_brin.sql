-- The incremental dbt models read the raw lines loaded since their last run (where _loaded_at >= ...).
-- Loads append in _loaded_at order, so a BRIN index turns that into a range scan for a few kilobytes of
-- index, where a sequential scan would read every line ever loaded.
create index if not exists events_loaded_at_brin on raw.events using brin (_loaded_at);
