"""safedesk's PostgreSQL engine: Django's, with timestamps read by psycopg's compiled loader (see base.py)."""
