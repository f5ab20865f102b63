"""The Kafka layer: the only code that imports ``confluent_kafka``."""

import logging

# librdkafka's log lines go to this logger; without a handler configured by the
# application they are dropped instead of reaching stderr through logging's last resort.
logging.getLogger("inferrer.kafka").addHandler(logging.NullHandler())
