"""The benchmark's baseline: a typical hand-written dynamic provider for the same PUT endpoint.

Written the way Pulumi's dynamic-provider examples are: the class lives in the program's
`__main__`, so `serialize_provider` pickles it by value (kilobytes in every resource's state), it
keeps the default `serialize_as_secret_always = True` (so that state is encrypted), it validates
nothing, its diff compares the whole property bag, create and update PUT the whole bag with
`requests`, read GETs. The token and endpoint come from the environment at call time.

The two concessions that make it work at all: the code goes in the URL, not the body (the API
rejects unknown body fields), and Pulumi hands every number over as a double while the API rejects
`50.0` where it wants an integer, so whole floats are turned back into ints in the body.

It is never part of the package. `python benchmarks/baseline_program.py` prints the serialized
provider (of an instance of the class defined in this `__main__`), which `run.py` reads.
"""

from __future__ import annotations

import os
from typing import Any

import requests
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult
from pulumi.dynamic.dynamic import serialize_provider


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    return value


class DomainSettingsProvider(ResourceProvider):
    def _url(self, code: str) -> str:
        return f"{os.environ['QBOXMAIL_ENDPOINT']}/api/domains/{code}"

    def _headers(self) -> dict[str, str]:
        return {"X-Api-Token": os.environ["QBOXMAIL_API_TOKEN"]}

    def _put(self, props: dict[str, Any]) -> None:
        body = {
            k: _json_value(v) for k, v in props.items() if k not in ("__provider", "domain_code")
        }
        response = requests.put(
            self._url(props["domain_code"]), json=body, headers=self._headers(), timeout=30
        )
        response.raise_for_status()

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._put(props)
        return CreateResult(props["domain_code"], props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = {k: v for k, v in olds.items() if k != "__provider"}
        news = {k: v for k, v in news.items() if k != "__provider"}
        return DiffResult(changes=olds != news)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._put(news)
        return UpdateResult(news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        response = requests.get(self._url(id_), headers=self._headers(), timeout=30)
        response.raise_for_status()
        live = response.json()["resources"][0]
        outs = {k: live.get(k, v) for k, v in props.items() if k != "__provider"}
        return ReadResult(id_, outs)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        pass


if __name__ == "__main__":
    print(serialize_provider(DomainSettingsProvider()))
