"""A thin REST layer over the doccano endpoints the annotation loop needs.

Why not doccano-client: 1.2.x (the current API) pins pydantic<2 and urllib3<2, which cannot
live beside spaCy 3.8 and typer (pydantic 2); unpinned, pip silently falls back to 1.1.1,
whose download helper returns HTML. The endpoints used here are few and stable, and
`requests` already comes with spaCy. Every failure becomes a ChipNerError that says which
server, which call and what to do next.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

import requests

from ..errors import ChipNerError, Problem

LABEL_STYLE = {  # fixed colours and shortcut keys, so every reviewer sees the same project
    "CHIP": {"background_color": "#2D7FF9", "suffix_key": "c"},
    "COMPANY": {"background_color": "#20C997", "suffix_key": "o"},
    "MONEY": {"background_color": "#FFB020", "suffix_key": "m"},
    "PERSON": {"background_color": "#E8484D", "suffix_key": "p"},
}


def utf16_offset(text: str, offset: int) -> int:
    """Code-point offset -> UTF-16 code-unit offset (doccano's web UI counts in UTF-16)."""
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)


def codepoint_offset(text: str, offset16: int) -> Optional[int]:
    """UTF-16 offset -> code-point offset; None when it falls inside a surrogate pair."""
    units = 0
    for index, char in enumerate(text):
        if units == offset16:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset16:
            return None
    return len(text) if units == offset16 else None


class DoccanoAPI:
    def __init__(self, url: str, username: str, password: str, timeout: float = 30.0):
        self.url = url.rstrip("/") + "/"
        self.username = username
        self.password = password
        self.timeout = timeout
        self.session = requests.Session()

    def _fail(self, what: str, reason: str, hint: str = "") -> ChipNerError:
        return ChipNerError(f"doccano: {what} failed", [Problem(self.url, reason)], hint)

    def request(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        try:
            response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        except requests.ConnectionError:
            raise self._fail(what, "server unreachable",
                             "Start it with `spacy project run doccano-start` (or check --url).") from None
        except requests.Timeout:
            raise self._fail(what, f"no answer within {self.timeout} s") from None
        if response.status_code in (401, 403):
            raise self._fail(what, f"HTTP {response.status_code}: not allowed ({response.text[:200]})",
                             "Check DOCCANO_USERNAME / DOCCANO_PASSWORD.")
        if response.status_code == 404:
            raise self._fail(what, f"HTTP 404: {path} not found")
        if response.status_code >= 400:
            raise self._fail(what, f"HTTP {response.status_code}: {response.text[:500]}")
        return response.json() if response.content else None

    def login(self) -> "DoccanoAPI":
        """Token login; session cookies are dropped so unsafe calls need no CSRF token."""
        try:
            data = self.request("POST", "v1/auth/login/", "login",
                                json={"username": self.username, "password": self.password})
        except ChipNerError as err:
            if "HTTP 400" in str(err):  # dj-rest-auth answers 400 to wrong credentials
                err.hint = f"Wrong credentials for user {self.username!r}: check DOCCANO_USERNAME / DOCCANO_PASSWORD."
            raise
        self.session.cookies.clear()
        self.session.headers["Authorization"] = f"Token {data['key']}"
        return self

    def paged(self, path: str, what: str) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            page = self.request("GET", path, what, params={"limit": 100, "offset": offset})
            yield from page["results"]
            offset += len(page["results"])
            if not page.get("next") or not page["results"]:
                return

    # projects and labels
    def find_project(self, name: str) -> Optional[dict[str, Any]]:
        return next((p for p in self.paged("v1/projects", "list projects") if p["name"] == name), None)

    def project(self, project_id: int) -> dict[str, Any]:
        return self.request("GET", f"v1/projects/{project_id}", f"read project {project_id}")

    def create_project(self, name: str, description: str, guideline: str) -> dict[str, Any]:
        payload = {"name": name, "description": description, "guideline": guideline,
                   "project_type": "SequenceLabeling", "resourcetype": "SequenceLabelingProject",
                   "allow_overlapping": False, "grapheme_mode": False, "use_relation": False,
                   "random_order": False, "collaborative_annotation": False}
        return self.request("POST", "v1/projects", "create project", json=payload)

    def span_types(self, project_id: int) -> dict[str, int]:
        """Label name -> label id."""
        labels = self.request("GET", f"v1/projects/{project_id}/span-types", "list labels")
        return {label["text"]: label["id"] for label in labels}

    def ensure_labels(self, project_id: int, labels: tuple[str, ...]) -> dict[str, int]:
        existing = self.span_types(project_id)
        for label in labels:
            if label not in existing:
                style = LABEL_STYLE.get(label, {})
                created = self.request("POST", f"v1/projects/{project_id}/span-types", f"create label {label}",
                                       json={"text": label, "text_color": "#ffffff", **style})
                existing[label] = created["id"]
        return existing

    # examples, spans, states
    def examples(self, project_id: int) -> Iterator[dict[str, Any]]:
        return self.paged(f"v1/projects/{project_id}/examples", "list examples")

    def create_example(self, project_id: int, text: str, meta: dict[str, Any]) -> dict[str, Any]:
        return self.request("POST", f"v1/projects/{project_id}/examples", f"create example {meta.get('id')}",
                            json={"text": text, "meta": meta})

    def spans(self, project_id: int, example_id: int) -> list[dict[str, Any]]:
        return self.request("GET", f"v1/projects/{project_id}/examples/{example_id}/spans",
                            f"list spans of example {example_id}")

    def create_span(self, project_id: int, example_id: int, start16: int, end16: int, label_id: int) -> dict[str, Any]:
        return self.request("POST", f"v1/projects/{project_id}/examples/{example_id}/spans",
                            f"create span in example {example_id}",
                            json={"start_offset": start16, "end_offset": end16, "label": label_id,
                                  "example": example_id})

    def delete_span(self, project_id: int, example_id: int, span_id: int) -> None:
        self.request("DELETE", f"v1/projects/{project_id}/examples/{example_id}/spans/{span_id}",
                     f"delete span {span_id}")

    def update_span_label(self, project_id: int, example_id: int, span_id: int, label_id: int) -> None:
        self.request("PATCH", f"v1/projects/{project_id}/examples/{example_id}/spans/{span_id}",
                     f"relabel span {span_id}", json={"label": label_id})

    def confirm(self, project_id: int, example_id: int) -> None:
        """Mark an example done, as a reviewer's checkbox does (doccano toggles the state)."""
        self.request("POST", f"v1/projects/{project_id}/examples/{example_id}/states", f"confirm example {example_id}",
                     json={})
