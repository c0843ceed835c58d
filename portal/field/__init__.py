"""The field side: technicians' orders, offline work and sync."""
