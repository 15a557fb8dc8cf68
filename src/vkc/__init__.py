"""VKC: an open smart-city platform for Vietnam's cities.

The library is the product; the CLI (:mod:`vkc.cli`), the web server
(:mod:`vkc.web`) and later the OGC APIs are thin layers over it.
"""

__version__ = "0.1.0"
