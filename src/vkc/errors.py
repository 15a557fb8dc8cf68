"""One error hierarchy for the whole platform.

Every error the library raises on purpose derives from :class:`VKCError`.
Each class carries the HTTP status and a short machine code as class
attributes, so the web layer maps errors to RFC 9457 problem+json in one
place and the CLI prints ``error: <message>`` with exit status 1 in one place.

::

    VKCError                      500  internal
    ├── InputError                400  invalid-input     (bad user input: files, options, values)
    │   ├── FormatError           400  bad-format        (a file is not what it claims to be)
    │   ├── GeometryError         400  bad-geometry      (invalid, mixed or out-of-place geometry)
    │   ├── CRSError              400  bad-crs           (unknown CRS, missing .prj, wrong CRS)
    │   ├── AddressRefused        400  address-refused   (a URL leading to a non-public address)
    │   ├── PayloadTooLarge       413  payload-too-large (a request body over the limit)
    │   ├── UnsupportedMediaType  415  unsupported-media-type (a body of a type the route does not read)
    │   └── NotAcceptable         406  not-acceptable    (no representation the client accepts)
    ├── AuthenticationError       401  unauthenticated   (no token, or not a valid one)
    ├── PermissionDenied          403  forbidden         (a valid token without the right)
    ├── NotFoundError             404  not-found
    │   ├── CollectionNotFound    404  collection-not-found
    │   └── FeatureNotFound       404  feature-not-found
    ├── ConflictError             409  conflict          (exists already, concurrent change)
    ├── PreconditionFailed        412  precondition-failed   (If-Match names an older version)
    ├── PreconditionRequired      428  precondition-required (a change without If-Match)
    ├── TooManyRequests           429  too-many-requests     (over a rate limit; Retry-After says when to return)
    ├── StoreError                500  store-error       (the database failed, not the input)
    ├── UpstreamError             502  upstream-error    (a server the platform relies on failed: the sign-in provider)
    ├── QueryTimeout              503  query-timeout     (a statement ran past the server's limit: ask for less)
    └── ServerBusy                503  busy              (too many costly requests at once; Retry-After says when to return)

A 5xx error's message stays in the server's log; the client gets it only where the class says it
is the client's to act on (``exposed``).
"""

from __future__ import annotations


class VKCError(Exception):
    """Base of every error the platform raises on purpose."""

    status = 500
    code = "internal"
    title = "Internal error"
    #: whether a client may read the message of this error even when its status is 5xx
    exposed = False

    def __init__(self, message: str, **detail: object) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    def __str__(self) -> str:
        return self.message


class InputError(VKCError):
    """The caller's input is invalid; the message names what and where."""

    status = 400
    code = "invalid-input"
    title = "Invalid input"


class FormatError(InputError):
    """A file or document is not in the format it claims to be."""

    code = "bad-format"
    title = "Bad format"


class AddressRefused(InputError):
    """A URL the platform would send to leads to an address it does not send to (loopback, private, metadata …)."""

    code = "address-refused"
    title = "Address refused"


class UnsupportedMediaType(InputError):
    """A request body whose Content-Type the route does not read."""

    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class GeometryError(InputError):
    """A geometry is invalid, of an unexpected type, or cannot be where it is."""

    code = "bad-geometry"
    title = "Bad geometry"


class CRSError(InputError):
    """A coordinate reference system is unknown, missing or evidently wrong."""

    code = "bad-crs"
    title = "Bad coordinate reference system"


class PayloadTooLarge(InputError):
    """A request body is larger than the server accepts."""

    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class LengthRequired(InputError):
    """A request whose body must be measured before it is read (an upload) does not say its length."""

    status = 411
    code = "length-required"
    title = "Length required"


class NotAcceptable(InputError):
    """None of the representations the client accepts is offered."""

    status = 406
    code = "not-acceptable"
    title = "Not acceptable"


class AuthenticationError(VKCError):
    """No credentials, or credentials that are not valid."""

    status = 401
    code = "unauthenticated"
    title = "Authentication required"


class PermissionDenied(VKCError):
    """Valid credentials that do not allow this action."""

    status = 403
    code = "forbidden"
    title = "Forbidden"


class PreconditionFailed(VKCError):
    """``If-Match`` names a version that is no longer current."""

    status = 412
    code = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(VKCError):
    """A change that must say which version it replaces (``If-Match``) did not."""

    status = 428
    code = "precondition-required"
    title = "Precondition required"


class NotFoundError(VKCError):
    """Something asked for does not exist."""

    status = 404
    code = "not-found"
    title = "Not found"


class CollectionNotFound(NotFoundError):
    """No collection (layer) of that name."""

    code = "collection-not-found"
    title = "Collection not found"


class FeatureNotFound(NotFoundError):
    """No feature with that id in the collection."""

    code = "feature-not-found"
    title = "Feature not found"


class ConflictError(VKCError):
    """The request conflicts with the current state (exists already, changed meanwhile)."""

    status = 409
    code = "conflict"
    title = "Conflict"


class StoreError(VKCError):
    """The store failed for a reason that is not the caller's input."""

    status = 500
    code = "store-error"
    title = "Store error"


class UpstreamError(VKCError):
    """A server the platform asks on the client's behalf (the OpenID Connect provider) failed or answered nonsense."""

    status = 502
    code = "upstream-error"
    title = "Upstream server failed"
    exposed = True


class QueryTimeout(VKCError):
    """A statement ran longer than the server allows one (its statement timeout): the request must ask for less."""

    status = 503
    code = "query-timeout"
    title = "Query took too long"
    exposed = True


class ServerBusy(VKCError):
    """The server is running as many costly requests (large pages, filters, low-zoom tiles) as it allows and its queue is full: try again later."""

    status = 503
    code = "busy"
    title = "Server busy"
    exposed = True


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name if it has none): how a driver's error is quoted."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


__all__ = [
    "first_line",
    "AuthenticationError",
    "NotAcceptable",
    "PayloadTooLarge",
    "PermissionDenied",
    "PreconditionFailed",
    "PreconditionRequired",
    "QueryTimeout",
    "ServerBusy",
    "CRSError",
    "CollectionNotFound",
    "ConflictError",
    "FeatureNotFound",
    "FormatError",
    "GeometryError",
    "InputError",
    "NotFoundError",
    "StoreError",
    "TooManyRequests",
    "UpstreamError",
    "VKCError",
]


class TooManyRequests(VKCError):
    """More requests than the rate limit allows (per address or per token)."""

    status = 429
    code = "too-many-requests"
    title = "Too many requests"
