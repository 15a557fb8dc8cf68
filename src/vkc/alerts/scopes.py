"""The permission the alerts component checks."""

from vkc.permissions import Scope, ScopeKind

#: the scope managing subscriptions needs (webhook URLs may be private; tokens limited to feature collections have no such right)
MANAGE = Scope("alerts:manage")
KIND = ScopeKind(MANAGE.kind, "create, list and cancel alert subscriptions and read their events")
