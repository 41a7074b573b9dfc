"""A fast acceptance test generated from the contract's JSON Schema: msgspec types plus a small generated check.

fastjsonschema stays the judge. `compile_fast_check(schema)` turns the subset of JSON Schema the contract
uses into
  * a msgspec type (Structs with forbid_unknown_fields for `additionalProperties: false`, Literal for
    enum/const, Meta(min/max_length, ge/le) for the bounds), checked with msgspec.convert in C, and
  * a generated Python function for what msgspec checks slowly or cannot say: `pattern` and `format:
    date-time` (msgspec's Meta(pattern) costs ~2.5 us a string here; a compiled regex ~0.4 us), and the
    members of an `allOf` after the first (each compiled with fastjsonschema and called on its value).

The result answers one question: "does the JSON Schema surely accept this event?". It is built to be
equal to or stricter than the schema, never laxer: anything it does not accept is re-validated by
fastjsonschema, which accepts it or explains the rejection (validate.py). So the verdicts stay exactly the
JSON Schema's; a stricter fast path only costs time. A keyword it does not know raises Unsupported when the
module is imported, and that schema then runs on fastjsonschema alone. tests/lambda_ingest checks the
verdicts against the contract as written, over a corpus of mutated events and property-based cases.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Callable, Literal, Union, get_args, get_origin

import fastjsonschema
import msgspec
from fastjsonschema.draft04 import CodeGeneratorDraft04

_IGNORED = {"description", "title", "$comment", "examples", "default", "$schema", "$id"}
_STRING = {"minLength", "maxLength", "pattern", "format"}
_NUMBER = {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}
_OBJECT = {"properties", "required", "additionalProperties", "maxProperties", "minProperties", "propertyNames"}
_ARRAY = {"items", "minItems", "maxItems"}
_DOLLAR = re.compile(r"(?<!\\)\$")  # what fastjsonschema does: `$` is end of string (ECMA 262), not before a final \n
DRAFT07 = "http://json-schema.org/draft-07/schema#"
_MISSING = object()
_SEEN_MAX = 4096  # strings remembered per pattern (each <= 256 characters: ~1 MB at most)
_SEEN_LENGTH = 256


class Unsupported(ValueError):
    """The schema uses a keyword (or a combination) this compiler does not translate."""


class FastCheck:
    """fast_check(value) -> True when the JSON Schema surely accepts value; False: ask the real validator."""

    def __init__(self, msgspec_type: Any, accepts: Callable[[Any], bool], source: str):
        self.type = msgspec_type
        self.accepts = accepts    # the generated function itself: msgspec.convert, then the patterns
        self.source = source      # the generated Python, for reading and debugging

    def __call__(self, value: Any) -> bool:
        return self.accepts(value)


def compile_fast_check(schema: dict, name: str = "Event") -> FastCheck:
    """Compile a self-contained schema (local $refs already inlined) into a FastCheck. Raises Unsupported."""
    compiler = _Compiler()
    msgspec_type, emit = compiler.node(schema, name)
    lines = ["def check(v0):", "    try:", "        _convert(v0, _T)", "    except _ValidationError:", "        return False"]
    if emit is not None:
        lines += emit("v0", 1, _single(msgspec_type))
    lines.append("    return True")
    source = "\n".join(lines)
    namespace = {"_E": fastjsonschema.JsonSchemaValueException, "_MISSING": _MISSING, "_T": msgspec_type,
                 "_convert": msgspec.convert, "_ValidationError": msgspec.ValidationError, **compiler.globals}
    exec(compile(source, f"<fast check {name}>", "exec"), namespace)  # noqa: S102 - our own generated code
    return FastCheck(msgspec_type, namespace["check"], source)


# (variable holding the value, indent level, known) -> lines of code. `known`: msgspec.convert has already proven the
# value to be of this node's msgspec type and that type is not a union (a str, a dict, a list), so the generated code
# skips the type test it would otherwise need before a regex or a loop.
Emitter = Callable[[str, int, bool], list[str]]


class _Compiler:
    def __init__(self) -> None:
        self.globals: dict[str, Any] = {}
        self._regex_names: dict[str, str] = {}
        self._vars = 0

    def _var(self) -> str:
        self._vars += 1
        return f"v{self._vars}"

    def _regex(self, pattern: str) -> str:
        if pattern not in self._regex_names:
            name = f"_R{len(self._regex_names)}"
            self.globals[name] = re.compile(pattern).search
            self.globals[f"{name}_ok"] = set()
            self._regex_names[pattern] = name
        return self._regex_names[pattern]

    # -- one schema node -> (msgspec type, emitter or None) ----------------------------------------------

    def node(self, node: Any, path: str) -> tuple[Any, Emitter | None]:
        if node is True or node == {}:
            return Any, None
        if not isinstance(node, dict):
            raise Unsupported(f"{path}: schema {node!r}")
        keys = set(node) - _IGNORED
        if "allOf" in keys:
            return self._all_of(node, keys, path)
        if "$ref" in keys or "not" in keys or "if" in keys or "oneOf" in keys:
            raise Unsupported(f"{path}: {sorted(keys & {'$ref', 'not', 'if', 'oneOf'})}")
        if "anyOf" in keys:
            if keys != {"anyOf"}:
                raise Unsupported(f"{path}: anyOf beside {sorted(keys - {'anyOf'})}")
            return self._any_of(node["anyOf"], path)
        if "enum" in keys or "const" in keys:
            if keys not in ({"enum"}, {"const"}):
                raise Unsupported(f"{path}: enum/const beside other keywords")
            values = node["enum"] if "enum" in node else [node["const"]]
            strings = [v for v in values if isinstance(v, str)]
            if len(strings) + values.count(None) != len(values) or not values:
                raise Unsupported(f"{path}: enum of non-strings")
            options = [Literal[tuple(strings)]] if strings else []
            if None in values:
                options.append(None)
            return (Union[tuple(options)] if len(options) > 1 else options[0]), None
        if "type" not in keys:
            raise Unsupported(f"{path}: no type")
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        unknown = keys - {"type"} - _STRING - _NUMBER - _OBJECT - _ARRAY
        if unknown:
            raise Unsupported(f"{path}: keywords {sorted(unknown)}")
        options, emitters = [], []
        for kind in types:
            if kind == "number" and "integer" in types:
                continue  # number already takes the integers
            option, emit = self._typed(kind, node, path)
            options.append(option)
            if emit is not None:
                emitters.append(emit)
        if not options:
            raise Unsupported(f"{path}: empty type list")
        return (Union[tuple(options)] if len(options) > 1 else options[0]), _concat(emitters)

    def _all_of(self, node: dict, keys: set, path: str):
        """The node without its allOf goes to msgspec; each allOf member is checked by fastjsonschema."""
        base = {k: v for k, v in node.items() if k != "allOf"}
        members = list(node["allOf"])
        if not keys - {"allOf"}:
            base = members.pop(0)
        msgspec_type, emit = self.node(base, path)
        names = []
        for member in members:
            name = f"_A{len(self.globals)}"
            self.globals[name] = fastjsonschema.compile({"$schema": DRAFT07, **member})
            names.append(name)

        def emit_all(var: str, indent: int, known: bool) -> list[str]:
            lines = emit(var, indent, known) if emit else []
            pad = "    " * indent
            for name in names:
                lines += [f"{pad}try:", f"{pad}    {name}({var})", f"{pad}except _E:", f"{pad}    return False"]
            return lines

        emit_all.checks_null = True  # fastjsonschema judges any value, null included
        return msgspec_type, emit_all

    def _any_of(self, branches: list, path: str):
        options, emitters = [], []
        for i, branch in enumerate(branches):
            option, emit = self.node(branch, f"{path}|{i}")
            options.append(option)
            if emit is not None:
                emitters.append(emit)  # every emitter checks only values of its own JSON type: and-ing is stricter
        try:
            union = Union[tuple(options)] if len(options) > 1 else options[0]
            msgspec.json.Decoder(union)  # msgspec refuses some unions (two object types ...): find out now
        except TypeError as exc:
            raise Unsupported(f"{path}: {exc}") from None
        return union, _concat(emitters)

    def _typed(self, kind: str, node: dict, path: str):
        if kind == "string":
            return self._string(node, path)
        if kind in ("integer", "number"):
            meta = {}
            for keyword, arg in (("minimum", "ge"), ("maximum", "le"), ("exclusiveMinimum", "gt"), ("exclusiveMaximum", "lt")):
                if keyword in node:
                    if isinstance(node[keyword], bool):
                        raise Unsupported(f"{path}: draft-04 boolean {keyword}")
                    meta[arg] = node[keyword]
            if kind == "integer":
                return (Annotated[int, msgspec.Meta(**meta)] if meta else int), None
            # number: ints stay ints (no float conversion; msgspec's float bounds would also take them)
            options = (Annotated[int, msgspec.Meta(**meta)], Annotated[float, msgspec.Meta(**meta)]) if meta else (int, float)
            return Union[options], None
        if kind == "boolean":
            return bool, None
        if kind == "null":
            return None, None
        if kind == "object":
            return self._object(node, path)
        if kind == "array":
            return self._array(node, path)
        raise Unsupported(f"{path}: type {kind!r}")

    def _string(self, node: dict, path: str):
        meta = {}
        if "minLength" in node:
            meta["min_length"] = node["minLength"]
        if "maxLength" in node:
            meta["max_length"] = node["maxLength"]
        checks = []  # (regex name, remember matches?)
        if "pattern" in node:
            checks.append((self._regex(_DOLLAR.sub(r"\\Z", node["pattern"])), True))
        if "format" in node:
            fmt = node["format"]
            if fmt not in CodeGeneratorDraft04.FORMAT_REGEXS:
                raise Unsupported(f"{path}: format {fmt!r}")
            # The very regex fastjsonschema uses. Its values (timestamps to the millisecond) rarely repeat: matches are
            # not remembered (a set that always misses costs ~0.15 us a value in lookups, adds and clears).
            checks.append((self._regex(CodeGeneratorDraft04.FORMAT_REGEXS[fmt]), False))
        msgspec_type = Annotated[str, msgspec.Meta(**meta)] if meta else str
        if not checks:
            return msgspec_type, None
        short = node.get("maxLength", _SEEN_LENGTH + 1) <= _SEEN_LENGTH  # every value is short enough to remember

        def emit(var: str, indent: int, known: bool) -> list[str]:
            # Ids, keys and URLs repeat across events: a bounded set of strings already seen to match saves
            # most regex calls (a set lookup is ~20x cheaper); only matches are remembered.
            pad = "    " * indent
            lines = []
            for name, remember in checks:
                if not remember:
                    test = f"not {name}({var})" if known else f"type({var}) is str and not {name}({var})"
                    lines += [f"{pad}if {test}:", f"{pad}    return False"]
                    continue
                seen = f"{name}_ok"
                test = f"{var} not in {seen}" if known else f"type({var}) is str and {var} not in {seen}"
                lines += [f"{pad}if {test}:",
                          f"{pad}    if not {name}({var}):",
                          f"{pad}        return False",
                          f"{pad}    if len({seen}) >= {_SEEN_MAX}:",
                          f"{pad}        {seen}.clear()"]
                lines += [f"{pad}    {seen}.add({var})"] if short else [f"{pad}    if len({var}) <= {_SEEN_LENGTH}:",
                                                                      f"{pad}        {seen}.add({var})"]
            return lines

        return msgspec_type, emit

    def _object(self, node: dict, path: str):
        extra = node.get("additionalProperties", True)
        if extra is False:
            if {"maxProperties", "minProperties", "propertyNames"} & set(node):
                raise Unsupported(f"{path}: property counts on a closed object")
            properties = node.get("properties", {})
            required = node.get("required", [])
            if set(required) - set(properties):
                raise Unsupported(f"{path}: required {sorted(set(required) - set(properties))} not in properties")
            fields, emitters = [], []
            for prop, sub in properties.items():
                if not prop.isidentifier() or prop.startswith("_"):
                    raise Unsupported(f"{path}: property name {prop!r}")
                prop_type, emit = self.node(sub, f"{path}.{prop}")
                if prop in required:
                    fields.append((prop, prop_type))
                else:
                    fields.append((prop, prop_type, msgspec.UNSET))
                if emit is not None:
                    emitters.append((prop, emit, _single(prop_type)))
            # gc=False: the converted Struct is thrown away at once and holds only JSON values (no cycles possible), so it
            # need not be tracked by the cycle collector (~5 % cheaper to convert).
            struct = msgspec.defstruct(_struct_name(path), fields, kw_only=True, forbid_unknown_fields=True, gc=False)
            if not emitters:
                return struct, None

            def emit_object(var: str, indent: int, known: bool) -> list[str]:
                # Known: a dict holding no key but the properties, each of its property's type, the required ones
                # present. An absent key needs no check, nor does a null value (the emitters check strings, dicts
                # or lists only), except an allOf member's: fastjsonschema judges whatever value it is given.
                pad = "    " * indent
                lines, inner = ([], indent) if known else ([f"{pad}if type({var}) is dict:"], indent + 1)
                ipad = "    " * inner
                for prop, emit, single in emitters:
                    item = self._var()
                    if known and prop in required and single:
                        lines.append(f"{ipad}{item} = {var}[{prop!r}]")
                        lines += emit(item, inner, True)
                    elif getattr(emit, "checks_null", False):
                        lines += [f"{ipad}{item} = {var}.get({prop!r}, _MISSING)", f"{ipad}if {item} is not _MISSING:"]
                        lines += emit(item, inner + 1, known and single)
                    else:
                        lines += [f"{ipad}{item} = {var}.get({prop!r})", f"{ipad}if {item} is not None:"]
                        lines += emit(item, inner + 1, known and single)
                return lines

            return struct, emit_object
        if isinstance(extra, dict) and not ({"properties", "required"} & set(node)):
            names = node.get("propertyNames", {})
            if set(names) - _IGNORED - {"pattern", "minLength", "maxLength"}:
                raise Unsupported(f"{path}: propertyNames {sorted(names)}")
            key_type, key_emit = self._string(names, f"{path}[key]")
            value_type, value_emit = self.node(extra, f"{path}[value]")
            meta = {}
            if "minProperties" in node:
                meta["min_length"] = node["minProperties"]
            if "maxProperties" in node:
                meta["max_length"] = node["maxProperties"]
            mapping = dict[key_type, value_type]
            msgspec_type = Annotated[mapping, msgspec.Meta(**meta)] if meta else mapping
            if key_emit is None and value_emit is None:
                return msgspec_type, None

            def emit_mapping(var: str, indent: int, known: bool) -> list[str]:
                pad = "    " * indent
                key, value = self._var(), self._var()
                if key_emit is not None and value_emit is None:  # only the keys to check
                    lines, inner = ([], indent) if known else ([f"{pad}if type({var}) is dict:"], indent + 1)
                    lines.append(f"{'    ' * inner}for {key} in {var}:")
                    return lines + key_emit(key, inner + 1, known)
                lines, inner = ([], indent) if known else ([f"{pad}if type({var}) is dict:"], indent + 1)
                lines.append(f"{'    ' * inner}for {key}, {value} in {var}.items():")
                lines += key_emit(key, inner + 1, known) if key_emit else []
                lines += value_emit(value, inner + 1, known and _single(value_type)) if value_emit else []
                return lines

            return msgspec_type, emit_mapping
        raise Unsupported(f"{path}: open object (additionalProperties {extra!r} with properties)")

    def _array(self, node: dict, path: str):
        items = node.get("items", {})
        if not isinstance(items, dict):
            raise Unsupported(f"{path}: tuple items")
        item_type, item_emit = self.node(items, f"{path}[]")
        meta = {}
        if "minItems" in node:
            meta["min_length"] = node["minItems"]
        if "maxItems" in node:
            meta["max_length"] = node["maxItems"]
        msgspec_type = Annotated[list[item_type], msgspec.Meta(**meta)] if meta else list[item_type]
        if item_emit is None:
            return msgspec_type, None

        def emit_array(var: str, indent: int, known: bool) -> list[str]:
            pad = "    " * indent
            item = self._var()
            if known:
                return [f"{pad}for {item} in {var}:", *item_emit(item, indent + 1, _single(item_type))]
            return [f"{pad}if type({var}) is list:", f"{pad}    for {item} in {var}:", *item_emit(item, indent + 2, False)]

        return msgspec_type, emit_array


def _concat(emitters: list[Emitter]) -> Emitter | None:
    """And the emitters of a union's options: each checks only values of its own JSON type, so none is `known`."""
    if not emitters:
        return None
    if len(emitters) == 1:
        return emitters[0]

    def emit_union(var: str, indent: int, known: bool) -> list[str]:
        return [line for emit in emitters for line in emit(var, indent, False)]

    emit_union.checks_null = any(getattr(emit, "checks_null", False) for emit in emitters)
    return emit_union


def _single(msgspec_type: Any) -> bool:
    """True when a value msgspec.convert accepted as this type is surely a str, a dict or a list (of this node): the
    type is not a union (a union's emitters test the type themselves). Annotated[...] is unwrapped."""
    while get_origin(msgspec_type) is Annotated:
        msgspec_type = get_args(msgspec_type)[0]
    if msgspec_type is str:
        return True
    if isinstance(msgspec_type, type) and issubclass(msgspec_type, msgspec.Struct):
        return True
    return get_origin(msgspec_type) in (list, dict)


def _struct_name(path: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", path) if part) or "Struct"
