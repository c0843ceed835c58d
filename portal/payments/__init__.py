"""Payments: Stripe card and bank payments, bank draft, refunds, counter receipts posted to the ledger."""
