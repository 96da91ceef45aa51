"""Everything the staff dashboard publishes, and the rules that make it safe to publish.

It owns: the fixed tables a closed week is released as (``tables``), the privacy budget and
OpenDP's noise (``privacy``), the weekly release job (``release``), the views, totals and
margins of error worked out from the stored release alone (``report``), and the charts and
CSV exports drawn from them (``charts``, ``exports``). Nothing outside ``release`` reads
answers for the dashboard, and ``release`` stores only noisy counts.
"""
