"""Vendor wire formats, inbound: each module turns one sender's payload into ``AlertEvent``s.

Parsers are pure functions of (body, context); they raise ``InputError`` naming the field.
"""
