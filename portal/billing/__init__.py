"""Billing: rate schedules, bill computation, the bill run and late fees."""
