"""Griffe extension for the API reference: make the package's docstrings render as they read.

The source uses two Sphinx conventions that mkdocstrings does not understand:

- roles such as :func:`load` or :class:`~inference_energy.posterior.pushforward.Scenario`, which would
  show up literally. They become links to the documented object, or code when the object is
  not on the API page (a broken link would fail ``mkdocs build --strict``);
- ``#:`` comments above module constants (``#: Schema versions this package reads.``), which
  griffe ignores. They become the constants' docstrings. Attributes with neither are marked
  non-public, so that the reference (``filters: public``) lists documented constants, and
  every public function and class, but not each dataclass field a second time.

The source files are not changed; this runs when mkdocstrings loads the package.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|obj|exc|const):`(?P<body>[^`]+)`")
TITLED = re.compile(r"^(?P<title>.*?)\s*<(?P<target>[^>]+)>$")
IDENTIFIER = re.compile(r"^:::\s+(?P<path>[\w.]+)", re.MULTILINE)
DOCS = Path(__file__).resolve().parents[1]


class SphinxDocstrings(griffe.Extension):
    """Read ``#:`` comments as docstrings, hide undocumented attributes, rewrite Sphinx roles as links."""

    def __init__(self, api_pages: list[str] | None = None) -> None:
        """``api_pages``: pages (relative to ``docs/``) whose ``::: module`` blocks make the API reference."""
        super().__init__()
        self.documented = {
            m["path"] for page in api_pages or () for m in IDENTIFIER.finditer((DOCS / page).read_text(encoding="utf-8"))
        }

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        objects = list(_walk(pkg))
        for obj in objects:
            if obj.is_attribute and obj.docstring is None:
                comment = _comment_docstring(obj)
                if comment:
                    obj.docstring = griffe.Docstring(comment, parent=obj)
                else:
                    # Undocumented attributes (dataclass fields, instance attributes, big tables)
                    # stay out of the reference: fields are in the class signature already.
                    obj.public = False
            if obj.name.startswith("_") and obj.name != "__init__":
                obj.public = False
        for obj in objects:
            if obj.docstring is not None and ":" in obj.docstring.value:
                obj.docstring.value = ROLE.sub(lambda m, obj=obj: self._link(obj, m["body"]), obj.docstring.value)

    def _link(self, obj: griffe.Object, body: str) -> str:
        titled = TITLED.match(body)
        title, target = (titled["title"], titled["target"]) if titled else (None, body)
        short = target.startswith("~")
        target = target.lstrip("~.")
        shown = title or (target.rsplit(".", 1)[-1] if short else target)
        path = self._resolve(obj, target)
        return f"[`{shown}`][{path}]" if path else f"`{shown}`"

    def _resolve(self, obj: griffe.Object, target: str) -> str | None:
        """The documented object's path, or None when it is not on the API page."""
        root = obj.package
        scope = obj if (obj.is_class or obj.is_module) else obj.parent
        candidates = [target]
        while scope is not None:  # innermost scope first, as Sphinx looks names up
            candidates.insert(len(candidates) - 1, f"{scope.path}.{target}")
            scope = scope.parent
        for candidate in candidates:
            if not candidate.startswith(root.path + "."):
                continue
            try:
                found = root[candidate[len(root.path) + 1 :]]
                if found.is_alias:
                    found = found.final_target
            except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
                continue
            if self._on_page(found):
                return found.path
        return None

    def _on_page(self, obj: griffe.Object) -> bool:
        """Whether mkdocstrings renders ``obj``: a documented module, or a public member of one.

        A module's section shows its public members (and theirs), not its submodules.
        """
        node = obj
        while not node.is_module:
            if not node.is_public:
                return False
            node = node.parent
        return node.path in self.documented


def _walk(obj: griffe.Object):
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _walk(member)


def _comment_docstring(obj: griffe.Object) -> str | None:
    """The ``#:`` comment lines right above an attribute's assignment."""
    lines = obj.module.lines
    index = (obj.lineno or 0) - 2
    found = []
    while 0 <= index < len(lines) and lines[index].strip().startswith("#:"):
        found.append(lines[index].strip()[2:].strip())
        index -= 1
    return " ".join(reversed(found)) or None
