"""Air quality alerts: webhook subscriptions, crossings found hour by hour, and an outbox delivered with retries.

- :mod:`vkc.alerts.subscriptions` — a subscription is a webhook URL and a
  condition (an index, a threshold, and optionally a province or stations).
- :mod:`vkc.alerts.evaluate` — finds each crossing of a threshold and records
  it once in the outbox.
- :mod:`vkc.alerts.delivery` — posts due events in order, retrying with
  backoff; a subscriber that is down loses nothing.
- :mod:`vkc.alerts.worker` — the loop ``vkc alerts run`` drives.
"""
