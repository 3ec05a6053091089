"""Directive handlers, one per namespace, and the router that feeds them."""

from .router import NO_ATTACHMENTS, Attachments, Handler, Outcome, Router

__all__ = ["NO_ATTACHMENTS", "Attachments", "Handler", "Outcome", "Router"]
