// Field pages: offline outbox and sync (filled in by the phone-side work).
