"""The job engine: the schedule of the daily jobs (schedule.py, data and plain rules), the run ledger that makes a
run of a job for a business date happen once (runs.py), and the runners (engine.py: procrastinate on PostgreSQL,
an asyncio loop in the app on SQLite). Domain-neutral: each part registers its jobs' bodies in its commands module
(`JOBS`), loaded by name (catalog.py) as the CLI loads their commands. docs/operations.md#daily-jobs."""
