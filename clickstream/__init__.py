"""Cross-cutting pieces: the warehouse connection (embedded or configured), the dashboard and demo CLIs."""
