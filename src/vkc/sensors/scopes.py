"""The permission the sensors component checks."""

from vkc.permissions import Scope, ScopeKind

#: the scope SensorThings writes need (a token limited to feature collections has no such right)
SENSORTHINGS = Scope("sensorthings")
KIND = ScopeKind(SENSORTHINGS.kind, "create, change and delete SensorThings entities and observations")
