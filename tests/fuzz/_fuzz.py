"""What the fuzzers share: a fixed budget, so CI runs the same examples every time and tests/fuzz
stays within about a minute on a loaded two-core machine, and the inputs several targets feed.

`KSTELLAR_FUZZ_EXAMPLES=N pytest tests/fuzz` hunts instead: N fresh random examples per target.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

_HUNT = int(os.environ.get("KSTELLAR_FUZZ_EXAMPLES", "0"))
# A fuzz target that runs longer than this has hung (pytest-timeout fails it).
TIMEOUT = pytest.mark.timeout(60 if not _HUNT else 3600)


def budget(examples: int) -> settings:
    """`examples` derandomized examples (the same on every run), no per-example deadline (the machine
    is shared, so timings are noise), no example database written into the tree."""
    return settings(max_examples=_HUNT or examples, derandomize=not _HUNT, deadline=None, database=None,
                    print_blob=True, suppress_health_check=list(HealthCheck))


# What a YAML or JSON document can hold: the values parsers and validators meet in manifests.
scalars = st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False) | st.text(max_size=12)
yaml_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8) | st.integers(-3, 3) | st.booleans(), inner, max_size=4),
    max_leaves=20,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)

# Selector-shaped noise: the grammar's tokens, words and spaces in any order.
selector_noise = st.lists(
    st.sampled_from(["a", "b", "x.io/k", "in", "notin", "=", "==", "!=", "!", "(", ")", ",", "<", ">", " ",
                     "1", "-", "_", ".", "/", "\t", "é", "\\"]) | st.text(max_size=3),
    max_size=16,
).map("".join)

# YAML-shaped noise: indicators, anchors, tags (unsafe ones too), directives, control characters.
yaml_noise = st.lists(
    st.sampled_from(["a", "b: ", ": ", "- ", "---\n", "\n", "  ", "{", "}", "[", "]", ",", "&x ", "*x", "!!str ",
                     "!!binary ", "!!python/object:os.system ", '"', "'", "#", "|", ">", "?", "%YAML 1.1\n",
                     "kind: List\n", "items:\n", "apiVersion: v1\n", "metadata:\n", "name: x\n", "\t", "\x00", "é"]),
    max_size=30,
).map("".join)

# A few levels of aliases of aliases: small text, a huge tree once expanded.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(7)
) + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, labels: *h}\n"
