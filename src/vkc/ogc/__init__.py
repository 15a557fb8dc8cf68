"""OGC API building blocks: request languages and encodings (CQL2, ...)."""
