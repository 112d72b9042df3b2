"""The Olist event producer: original Olist CSVs in, event envelopes out to the four Kafka topics."""
