"""Developer tools, kept out of the installed package: the local Kafka broker launcher
(:mod:`tools.devkafka`) and the demo (:mod:`tools.demo`). Run them from the checkout
(``python -m tools.devkafka start``, ``make demo``); the tests and benchmarks import them
from here."""
