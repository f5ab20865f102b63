"""The Kafka layer: the only code that imports ``confluent_kafka``."""
