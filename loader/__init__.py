"""clickstream-load: raw objects -> PostgreSQL raw tables, exactly once."""
