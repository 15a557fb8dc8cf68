"""The HTTP APIs over the library: OGC API – Features and Tiles under ``/ogc`` (more to come)."""
