"""The Schema Registry: settings, a read-only client, and decoders of framed messages."""
