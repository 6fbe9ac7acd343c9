"""The one bus client: JetStream events, core-NATS commands, durable consumers, outbox relay."""
