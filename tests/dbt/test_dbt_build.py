"""dbt build on a real PostgreSQL: every model, data test and unit test; docs; source freshness; grants.

GIVEN the loader's tables holding the real REES46 shopper sample plus synthetic shoppers (every channel,
logins, searches, purchases sent twice, a crawler, SDK delivery reports), WHEN dbt builds, THEN everything
passes and the reports answer the store owner's questions consistently with the marts.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import psycopg
import pytest

from dbt_runner import DBT_DIR, run_dbt
from raw_events import Loader, rees46_events, synthetic_shoppers

pytestmark = pytest.mark.slow


def test_dbt_build_docs_and_freshness(warehouse):
    loader = Loader(warehouse, loaded_at=datetime.now(timezone.utc))
    loader.insert(rees46_events())
    loader.insert(synthetic_shoppers())
    with psycopg.connect(warehouse) as conn:
        conn.execute(
            "insert into raw.rejected_events (received_at, reason, error, payload, _load_id, _source_key, _line_no)"
            " values (now(), 'schema_violation', 'event_type: not one of the enum', '{}', 1, 'rejected/x', 1)"
        )
        conn.execute(
            "insert into raw.quarantine (_source_key, _line_no, reason, raw_line, _load_id)"
            " values ('events/x', 3, 'not_json', '{oops', 1)"
        )

    result = run_dbt(warehouse, "build")
    statuses = {str(r.status) for r in result.result.results}
    assert statuses <= {"success", "pass", "no-op"}, statuses  # no-op: exposures
    kinds = {r.node.resource_type for r in result.result.results}
    assert {"model", "test", "unit_test", "seed"} <= {str(k) for k in kinds}

    with psycopg.connect(warehouse) as conn:
        one = lambda q: conn.execute(q).fetchone()  # noqa: E731
        # models land in exactly the four schemas
        schemas = {r[0] for r in conn.execute(
            "select table_schema from information_schema.tables where table_name like any (array['stg\\_%', 'int\\_%', 'fct\\_%', 'dim\\_%', 'rpt\\_%'])")}
        assert schemas == {"staging", "intermediate", "marts", "reports"}
        # bots are kept in intermediate, left out of the marts, a dimension in reports
        assert one("select count(*) from intermediate.int_sessions_aggregated where is_bot")[0] >= 1
        assert one("select count(*) from marts.fct_sessions where is_bot")[0] == 0
        assert one("select count(*) from reports.rpt_traffic_daily where is_bot")[0] >= 1
        # REES46: its 10 real purchases are 10 orders
        assert one("select count(*) from marts.fct_orders where order_id like 'rees46-%'")[0] == 10
        # reports add up to the marts they summarize
        human_sessions, revenue = one("select count(*), sum(revenue) from marts.fct_sessions")
        assert one("select sum(sessions), sum(revenue) from reports.rpt_traffic_daily where not is_bot") == (human_sessions, revenue)
        assert one("select sum(revenue) from marts.fct_orders")[0] == revenue
        # every channel of the synthetic landings shows up
        channels = {r[0] for r in conn.execute("select distinct channel from reports.rpt_acquisition_daily")}
        assert {"direct", "organic_search", "ai_assistants", "organic_social", "referral", "email", "paid_search", "paid_social"} <= channels
        # search terms are normalized: 'Laptop' and 'laptop ' are one term
        terms = {r[0] for r in conn.execute("select distinct search_term from reports.rpt_search_terms_daily")}
        assert "laptop" in terms and "Laptop" not in terms
        # categories come from the dotted path
        assert one("select category_level_1, category_level_2 from marts.dim_product where product_id = 'p-nb-1'") == ("computers", "notebook")
        # the pipeline health report sees the reject, the quarantined line and the SDK's drops
        assert one("select sum(rejected_events), sum(quarantined_lines), sum(sdk_dropped_events) > 0 from reports.rpt_pipeline_health") == (1, 1, True)

        # the reporting role reads marts and reports, not raw or intermediate
        conn.execute("set role clickstream_reporting")
        conn.execute("select count(*) from marts.fct_sessions, reports.rpt_funnel_daily limit 1")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from raw.events")
        conn.rollback()
        conn.execute("set role clickstream_reporting")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from intermediate.int_events_deduped")

    # every column of every model is documented, and nothing documented is missing
    nodes = json.loads((DBT_DIR / "target" / "manifest.json").read_text())["nodes"]
    with psycopg.connect(warehouse) as conn:
        for node in nodes.values():
            if node["resource_type"] != "model":
                continue
            actual = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_schema = %s and table_name = %s"
                " order by ordinal_position", (node["schema"], node["name"]))]
            assert node["description"], node["name"]
            assert set(actual) == set(node["columns"]), (node["name"], set(actual) ^ set(node["columns"]))
            assert all(c["description"] for c in node["columns"].values()), node["name"]

    docs = run_dbt(warehouse, "docs", "generate")
    assert docs.success
    catalog = (DBT_DIR / "target" / "catalog.json").read_text()
    assert "rpt_traffic_daily" in catalog and "fct_sessions" in catalog

    freshness = run_dbt(warehouse, "source", "freshness")
    (events,) = [r for r in freshness.result.results if r.node.name == "events"]
    assert str(events.status) == "pass"
