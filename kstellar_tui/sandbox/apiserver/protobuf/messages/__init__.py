"""Field tables for the kinds kubectl's typed commands send as protobuf, grouped by API group.

Each module has MESSAGES (table name -> field specs, see ..schema for the grammar) and KINDS
((apiVersion, kind) -> the table of that top-level object). Facts from k8s.io/api v0.32.
"""
