"""The core's write: which settings a PUT carries, given the stored and the new inputs."""

from __future__ import annotations

from typing import Any

import pytest

from pulumi_qboxmail.core import request_body

BODIES: list[tuple[dict[str, Any] | None, dict[str, Any], dict[str, Any]]] = [
    (None, {"domain_code": "D1", "antispam_level": 1}, {"antispam_level": 1}),
    (None, {"domain_code": "D1"}, {}),
    (None, {"force_new_password": False, "default_quota_apply_to_all": True}, {}),
    (None, {"default_quota": 5, "default_quota_apply_to_all": False}, {"default_quota": 5}),
    ({"chat": True}, {"chat": True}, {}),
    ({"chat": True}, {"chat": False}, {"chat": False}),
    ({"force_otp": True}, {"force_otp": True, "password_policies_apply_to_all": True}, {}),
    ({"force_otp": True}, {"force_otp": False, "password_policies_apply_to_all": True}, {"force_otp": False, "password_policies_apply_to_all": True}),
    ({"postmaster_password": "a1b2c3d4e"}, {"postmaster_password": "a1b2c3d4e"}, {}),
    ({}, {"postmaster_password": "a1b2c3d4e"}, {"postmaster_password": "a1b2c3d4e", "postmaster_password_confirmation": "a1b2c3d4e"}),
    ({"force_new_password": True}, {"force_new_password": True}, {}),
    ({"force_new_password": False}, {"force_new_password": True}, {"force_new_password": True}),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "body"), BODIES)
def test_request_body_table(
    old: dict[str, Any] | None, new: dict[str, Any], body: dict[str, Any]
) -> None:
    assert request_body(old, new) == body
