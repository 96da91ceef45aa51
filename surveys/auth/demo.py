"""``/demo``: a stand-in for the shop, so a newcomer can try the signed-in flow.

It exists only when ``DEMO`` is on (never in production). It signs hand-off tokens for a few
made-up customers exactly as the shop would, and posts them to ``/auth/shop``.
"""

from __future__ import annotations

import secrets

from flask import current_app, render_template

from surveys import clock
from surveys.auth import demo_bp
from surveys.services import shop_tokens

#: (customer id at the shop, who they are) — all made up.
DEMO_CUSTOMERS: tuple[tuple[str, str], ...] = (
    ("demo-customer-1001", "Adaeze, who orders from Ikeja"),
    ("demo-customer-1002", "Musa, a new customer in Kano"),
    ("demo-customer-1003", "Tolu, who has shopped for years"),
)


@demo_bp.get("/demo")
def shop() -> str:
    key, now = current_app.config["SHOP_SIGNING_KEY"], clock.now()
    customers = [
        (subject, label, shop_tokens.sign(key, subject, secrets.token_hex(16), now))
        for subject, label in DEMO_CUSTOMERS
    ]
    return render_template("auth/demo.html", customers=customers)
