"""The resident side: landing page, account home and self-service."""
