"""The CIC connection: HTTP/2 transport, downchannel, events, ping, reconnect, auth, outbox."""

from .auth import AuthFailed, RefreshUnavailable, TokenFileError, Tokens, TokenStore
from .backoff import Backoff, BackoffPolicy
from .client import CicClient
from .inbox import DirectiveRouter
from .outbox import Outbox
from .outbox_items import PutResult
from .settings import CicSettings
from .state import ConnectionState, InvalidTransition
from .user_agent import UserAgent, UserAgentError, parse_user_agent

__all__ = [
    "AuthFailed",
    "Backoff",
    "BackoffPolicy",
    "CicClient",
    "CicSettings",
    "ConnectionState",
    "DirectiveRouter",
    "InvalidTransition",
    "Outbox",
    "PutResult",
    "RefreshUnavailable",
    "TokenFileError",
    "TokenStore",
    "Tokens",
    "UserAgent",
    "UserAgentError",
    "parse_user_agent",
]
