"""Usage accounting: an organisation's API usage log -> energy, water and carbon totals whose
uncertainty adds up correctly (``account``), and the energy of one call (``CallEstimator``).

Modules, in the order data flows: ``readers`` (logs and their mappings), ``grid`` and ``carbon``
(grid intensity per record), ``deployments`` (each model's per-draw energy per request), ``totals``
(streamed sums per group, evaluated per draw), ``account`` (the DataTree), ``per_call``.
Part of the posterior layer's users: it imports the model and posterior layers.
"""
