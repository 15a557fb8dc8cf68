"""OGC SensorThings API 1.1: resource paths, query options, the service over the store."""
