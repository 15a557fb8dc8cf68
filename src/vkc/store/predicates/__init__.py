"""The one predicate compiler of the platform: expressions of :mod:`vkc.store.filters` to SQL on both backends.

- :class:`PredicateCompiler` (:mod:`~vkc.store.predicates.compiler`): the boolean structure, spatial relations,
  the limits, and the entry points;
- :class:`Queryables` (:mod:`~vkc.store.predicates.queryables`): what the caller says of the rows (a feature
  collection's :class:`~vkc.store.feature_queryables.FeatureQueryables`, the sensors component's entity types);
- :mod:`~vkc.store.predicates.declared_types` and :mod:`~vkc.store.predicates.dynamic_types`: how values of a
  schema, and values that carry their own types, compare;
- :class:`Operand` and the envelopes (:mod:`~vkc.store.predicates.operand`): what a compiled value is;
- :class:`ExpressionLimits` (:mod:`~vkc.store.predicates.limits`): how large an expression may be;
- the backend's spelling: :mod:`vkc.store.dialect_predicates`, part of :class:`~vkc.store.dialect.Dialect`.
"""

from vkc.store.predicates.compiler import PredicateCompiler
from vkc.store.predicates.limits import LIMITS, MAX_DEPTH, MAX_NODES, ExpressionLimits
from vkc.store.predicates.operand import NO_VALUE, Envelope, EnvelopeColumns, Fragment, JsonPath, Operand, RTreeEnvelope, condition
from vkc.store.predicates.queryables import Queryables, Typing

__all__ = [
    "LIMITS",
    "MAX_DEPTH",
    "MAX_NODES",
    "NO_VALUE",
    "Envelope",
    "EnvelopeColumns",
    "ExpressionLimits",
    "Fragment",
    "JsonPath",
    "Operand",
    "PredicateCompiler",
    "Queryables",
    "RTreeEnvelope",
    "Typing",
    "condition",
]
