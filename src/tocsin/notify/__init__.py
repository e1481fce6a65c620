"""From alerts to sent notifications: aggregation groups, their ticks, the stages that mute
and deduplicate, and the outbox that delivers and retries (Alertmanager's ``dispatch/`` and
``notify/``, made durable)."""
