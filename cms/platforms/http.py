"""The HTTP session every platform client uses, with the environment read once.

requests reads the proxy variables (HTTP(S)_PROXY, NO_PROXY), the CA bundle (REQUESTS_CA_BUNDLE,
CURL_CA_BUNDLE) and ~/.netrc again on every call of a session whose `trust_env` is on: it walks the
whole environment several times per call. A platform client's session takes the settings the
environment gives for its base URL when the client is made, worked out once per process for each
base URL and set of those variables; nothing changes for a deployment behind a proxy or with its
own CA bundle. (A platform takes no netrc credentials.) Measured with bench/schedule_lateness.py,
where one worker process starts 200 publications at once.

    settle(http, url)   the session `http` keeps the environment's settings for `url`
"""
from __future__ import annotations

import functools
import os

import requests

_NAMES = ("_proxy", "_ca_bundle")  # HTTP_PROXY, https_proxy, NO_PROXY, ALL_PROXY, REQUESTS_CA_BUNDLE...


def settle(http: requests.Session, url: str) -> requests.Session:
    proxies, verify = _settings(url, tuple(sorted((k, v) for k, v in os.environ.items()
                                                  if k.lower().endswith(_NAMES))))
    http.proxies.update(proxies)
    http.verify = verify
    http.trust_env = False
    return http


@functools.lru_cache(maxsize=64)
def _settings(url: str, _environment: tuple) -> tuple[dict, bool | str]:
    settings = requests.Session().merge_environment_settings(url, {}, None, None, None)
    return settings["proxies"], settings["verify"]
