"""The demo, kept out of the product: the seeded city (city.py) and its history made by the real engine
(history.py), each side's demo data (billing.py, residents.py, field.py, staff.py), the demo sign-in and mailbox
(signin.py) and the local Stripe stand-in (stripe_stand_in.py).

Demo code imports the product, never the other way: only the app factory in demo mode and the CLI's `demo` and `seed`
commands import this package (tests/unit/test_layers.py holds that line).
"""
