"""Layers: import features from files into the store, export them back out."""

from vkc.layers.exporter import EXPORT_FORMATS, export_layer
from vkc.layers.importer import ImportReport, Reject, import_layer

__all__ = ["EXPORT_FORMATS", "ImportReport", "Reject", "export_layer", "import_layer"]
