"""Utility Portal: one app for a city utility's residents, field technicians and customer-service staff."""
