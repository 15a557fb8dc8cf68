"""Sensor observations: the SensorThings model in the store, bulk ingest, time aggregation."""
