"""The limits every reader of a BXML document applies: size, depth, attributes per element.

They bound the work a hostile document can cause. Real BXML stays far below each of them:
Bandwidth itself stops at 64 KB, verbs nest a few levels deep, and no element has more
than a few dozen attributes.
"""

from __future__ import annotations

#: Largest document read by default.
MAX_BYTES = 1024 * 1024
#: Deepest nesting read by default; real BXML is rarely deeper than 6.
MAX_DEPTH = 64
#: Most attributes one element may have (the richest verb has fewer than 20).
MAX_ATTRIBUTES = 64
