"""Signing in: passkeys first, a one-time email code for people without one, and resident sign-up by account."""
