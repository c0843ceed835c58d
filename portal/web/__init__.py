"""Web plumbing every side shares: templates, sessions, guards, forms, errors, security headers."""
