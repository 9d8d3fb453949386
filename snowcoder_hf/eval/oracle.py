"""EvalPlus's differential-testing oracle, and a safe wire format for the values it compares.

Standard library only (numpy is imported when a comparison needs it): the source of this module is
also embedded in the program that runs inside the sandbox, which cannot import the project.

- `encode`/`decode` carry Python values across the sandbox boundary as tagged JSON. Nothing from
  the sandbox is ever unpickled or evaluated on the host.
- `outputs_match` follows `evalplus.eval.unsafe_execute` (evalplus 0.3): exact match, MBPP+'s
  special oracles, HumanEval+/32's root check, the float rule (`atol` becomes 1e-6 once a float
  output is met with `atol == 0`, and stays so for the rest of the inputs) and `np.allclose`.
- `mbpp_deserialize_inputs` turns MBPP+'s JSON inputs back into tuples, sets and complex numbers,
  as `evalplus.data.mbpp.mbpp_deserialize_inputs` does.
"""

import hashlib
import json
import math

MBPP_OUTPUT_NOT_NONE_TASKS = ["check_str", "text_match_three", "text_starta_endb"]
MBPP_OUTPUT_SET_EQ_TASKS = ["similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
                            "larg_nnum", "intersection_array", "find_dissimilar", "Diff"]  # fmt: skip
_MAX_REPR = 2000


class Opaque:
    """A value the wire format cannot carry: equal only to an Opaque of the same type and repr."""

    def __init__(self, type_name, text):
        self.type_name, self.text = type_name, text

    def __eq__(self, other):
        return isinstance(other, Opaque) and (self.type_name, self.text) == (other.type_name, other.text)

    def __hash__(self):
        return hash((self.type_name, self.text))

    def __repr__(self):
        return f"<{self.type_name} {self.text}>"


def encode(value, depth=0):
    """A JSON-able, type-preserving form of `value` (bools, ints, floats incl. nan/inf, complex, str,
    bytes, None, list, tuple, set, frozenset, dict, numpy arrays and scalars); others become opaque."""
    if depth > 50:
        return {"t": "opaque", "type": type(value).__name__, "v": "<too deep>"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"t": "int", "v": hex(value)} if abs(value) > 2**53 else int(value)  # hex: no digit limit
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"t": "float", "v": repr(float(value))}
    if isinstance(value, complex):
        return {"t": "complex", "v": [encode(value.real), encode(value.imag)]}
    if isinstance(value, bytes):
        return {"t": "bytes", "v": value.hex()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        return {"t": type(value).__name__ if type(value) in (list, tuple, set, frozenset) else "list",
                "v": [encode(v, depth + 1) for v in items]}  # fmt: skip
    if isinstance(value, dict):
        return {"t": "dict", "v": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    module = type(value).__module__
    if module == "numpy" and hasattr(value, "tolist"):
        if getattr(value, "ndim", 0) == 0:
            return encode(value.item(), depth + 1)
        return {"t": "ndarray", "dtype": str(value.dtype), "v": encode(value.tolist(), depth + 1)}
    return {"t": "opaque", "type": type(value).__name__, "v": repr(value)[:_MAX_REPR]}


_WIRE_LIMIT = 1 << 20  # an output larger than this as JSON crosses as a digest (exact match only)


def wire(value):
    """`encode(value)`, or a SHA-256 digest of it when its JSON exceeds 1 MiB (Mbpp/255's outputs
    reach hundreds of MB): such outputs are then compared for exact equality only."""
    encoded = encode(value)
    text = json.dumps(encoded, sort_keys=True)
    if len(text) <= _WIRE_LIMIT:
        return encoded
    return {"t": "digest", "v": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), "n": len(text)}


def decode(obj):
    if not isinstance(obj, dict):
        if isinstance(obj, list):  # only produced by tagged containers; kept for safety
            return [decode(v) for v in obj]
        return obj
    tag, value = obj.get("t"), obj.get("v")
    if tag == "int":
        return int(value, 16)
    if tag == "float":
        return float(value)
    if tag == "complex":
        return complex(decode(value[0]), decode(value[1]))
    if tag == "bytes":
        return bytes.fromhex(value)
    if tag in ("list", "tuple", "set", "frozenset"):
        items = [decode(v) for v in value]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[tag](items)
    if tag == "dict":
        return {decode(k): decode(v) for k, v in value}
    if tag == "digest":
        return Opaque("digest", value)
    if tag == "ndarray":
        import numpy as np

        return np.array(decode(value), dtype=obj.get("dtype"))
    return Opaque(obj.get("type", "?"), value)


def is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(i, float) for i in x)
    if type(x).__module__ == "numpy" and hasattr(x, "dtype"):
        return str(x.dtype) in ("float64", "float32")
    return False


def _poly(xs, x):
    return sum([coeff * math.pow(x, i) for i, coeff in enumerate(xs)])


def _surface_area(base_edge, height):
    slant_height = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 4 * (base_edge * slant_height) / 2)


def _digit_distance_nums(num1, num2):
    a, b = str(num1), str(num2)
    width = max(len(a), len(b))
    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(width), b.zfill(width), strict=False))


def outputs_match(dataset, entry_point, inp, out, exp, atol, task_id=None):
    """Does `out` pass against `exp`? Returns `(passed, atol)`: the tolerance to use from here on.

    `dataset` is "humaneval" or "mbpp" (EvalPlus), or "evoeval_<category>" (EvoEval's own oracle)."""
    if dataset.startswith("evoeval_"):
        return evo_outputs_match(dataset.removeprefix("evoeval_"), task_id, inp, out, exp), atol
    try:
        exact_match = out == exp
        if dataset == "mbpp":
            if entry_point == "are_equivalent":
                exact_match = True
            elif entry_point == "sum_div":
                exact_match = exact_match or out == 0
            elif entry_point == "surface_Area":
                exact_match = exact_match or abs(out - _surface_area(*inp)) <= atol
            elif entry_point == "digit_distance_nums":
                exact_match = exact_match or out == _digit_distance_nums(*inp)
            elif entry_point in MBPP_OUTPUT_SET_EQ_TASKS:
                exact_match = set(out) == set(exp)
            elif entry_point in MBPP_OUTPUT_NOT_NONE_TASKS:
                exact_match = out == exp if isinstance(out, bool) else exp == (out is not None)
        if dataset == "humaneval" and entry_point == "find_zero":
            return bool(abs(_poly(*inp, out)) <= atol), atol
        if atol == 0 and is_floats(exp):
            atol = 1e-6
        if not exact_match and atol != 0:
            if type(out) is not type(exp):
                return False, atol
            if isinstance(exp, (list, tuple)) and len(out) != len(exp):
                return False, atol
            import numpy as np

            return bool(np.allclose(out, exp, rtol=1e-07, atol=atol)), atol
        return bool(exact_match), atol
    except Exception:
        return False, atol


def mbpp_deserialize_inputs(task_id, inputs):
    number = int(str(task_id).split("/")[-1])
    if number in (2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726,
                  740, 744, 809):  # fmt: skip
        return [[tuple(lst) for lst in inp] for inp in inputs]
    if number in (63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780):
        return [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
    if number in (75, 413, 444, 753):
        return [[[tuple(lst) for lst in inp[0]]] + [inp[1]] for inp in inputs]
    if number in (106, 750):
        return [[inp[0]] + [tuple(inp[1])] for inp in inputs]
    if number == 115:
        return [[[set(item) if isinstance(item, list) and len(item) else {} for item in inp[0]]] for inp in inputs]
    if number == 124:
        return [(float(inp[0]), complex(inp[1])) for inp in inputs]
    if number in (250, 405, 446, 617, 720, 763, 808):
        return [[tuple(inp[0])] + [inp[1]] for inp in inputs]
    if number in (259, 401, 445):
        nested = [[[tuple(lst) for lst in lst_lst] for lst_lst in inp] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in nested]
    if number == 278:
        nested = [[[tuple(item) if isinstance(item, list) else item for item in inp[0]]] for inp in inputs]
        return [[tuple(lst) for lst in inp] for inp in nested]
    if number == 307:
        return [[tuple(inp[0])] + [inp[1], inp[2]] for inp in inputs]
    if number == 722:
        return [[{key: tuple(value) for key, value in inp[0].items()}] + inp[1:] for inp in inputs]
    if number == 252:
        return [[complex(inp[0])] for inp in inputs]
    if number in (580, 615, 791):

        def to_tuple(inp):
            return tuple(to_tuple(item) for item in inp) if isinstance(inp, list) else inp

        return [to_tuple(inp) for inp in inputs]
    return inputs


# EvoEval's oracle (evoeval 0.1.0, `evoeval.eval_test.is_equal` and its special oracles; Apache-2.0).
def _evo_type(x):
    if x is None:
        return "null"
    for name, kind in (("bool", bool), ("int", int), ("str", str)):
        if isinstance(x, kind):
            return name
    if is_floats(x):
        return "float"
    for name, kind in (("tuple", tuple), ("list", list), ("dict", dict), ("set", set), ("type", type)):
        if isinstance(x, kind):
            return name
    return "unknown"


def evo_is_equal(x, y):
    kind = _evo_type(x)
    if kind != _evo_type(y):
        return False
    if kind in ("int", "bool", "null", "str", "set", "type"):
        return x == y
    if kind == "float":
        import numpy as np

        return bool(np.allclose(x, y, equal_nan=True, atol=1e-6))
    if kind in ("list", "tuple"):
        return len(x) == len(y) and all(evo_is_equal(a, b) for a, b in zip(x, y, strict=False))
    if kind == "dict":
        return len(x) == len(y) and all(k in y and evo_is_equal(v, y[k]) for k, v in x.items())
    return bool(x == y)


def _evo_special(category, task_id, inp, out, exp):
    """EvoEval's per-task oracles; None when the task has none."""
    if category == "difficult" and task_id == "EvoEval/10":
        string = inp[0]
        return len(out) == len(exp) and out.startswith(string) and out.lower() == out[::-1].lower()
    if category == "difficult" and task_id == "EvoEval/32":
        xs, (start, end) = inp[0], inp[1]
        return out is None if exp is None else bool(start <= out <= end and abs(_poly(xs, out)) <= 2e-2)
    if category == "creative" and task_id == "EvoEval/26":
        maze, start, end = inp[:3]
        if not exp:
            return out == []
        moves = {"right": (0, 1), "left": (0, -1), "up": (-1, 0), "down": (1, 0)}
        position = start
        for move in out:
            position = (position[0] + moves[move][0], position[1] + moves[move][1])
            if maze[position[0]][position[1]] == 1:
                return False
        return position == end
    if category == "creative" and task_id == "EvoEval/30":
        maze, start, end = inp[:3]
        if not exp:
            return out == []
        ok = out[0] == start and out[-1] == end and maze[start[0]][start[0]] != 0
        for (px, py), (cx, cy) in zip(out, out[1:], strict=False):
            ok = ok and maze[cx][cy] != 0 and abs(cx - px) + abs(cy - py) == 1
        return bool(ok)
    if category == "creative" and task_id == "EvoEval/69":
        arr, target = inp[:2]
        if exp == "No magic today":
            return exp == out
        if not isinstance(out, tuple):
            return False
        i, j = out
        return bool(0 <= i < j < len(arr) and arr[i] * arr[j] == target)
    if category == "subtle" and task_id == "EvoEval/32":
        xs = inp[0]
        full_xs = [xs[0], xs[1]]
        for i in range(2, len(xs)):
            full_xs.extend([0, xs[i]])
        return bool(abs(_poly(full_xs, out)) <= 1e-6)
    return None


def evo_outputs_match(category, task_id, inp, out, exp):
    try:
        special = _evo_special(category, task_id, inp, out, exp)
        return evo_is_equal(exp, out) if special is None else bool(special)
    except Exception:
        return False


def evo_parse_inputs(inputs):
    """EvoEval stores each input as the text of an argument list; its harness `eval`s `[text]` with the
    full builtins (inputs use `reversed`, `str`, comprehensions...). This is the release's own data,
    trusted as EvoEval trusts it; generated code never goes through here."""
    return [eval(f"[{text}]", {}) for text in inputs]
