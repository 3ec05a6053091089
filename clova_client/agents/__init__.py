"""Directive handlers, one per namespace, and the router that feeds them (``router.py``)."""
