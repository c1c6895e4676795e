"""The native face's wire format (`native/wire.py`): Structs read and written as the engine does."""

from __future__ import annotations

from pulumi.provider.experimental.property_value import PropertyValue

from native_plugin import UNKNOWN
from pulumi_qboxmail.native import wire


def test_the_wire_reads_and_writes_what_the_sdks_own_marshalling_does() -> None:
    """`wire` translates Structs itself; the SDK's PropertyValue is an independent reading of the
    same format: secrets at any depth, unknowns, output values, nulls and doubles."""
    sent = PropertyValue.marshal_map(
        {
            "antispamLevel": PropertyValue(3.0),
            "allowNets": PropertyValue([PropertyValue("192.0.2.0/24").with_secret(True)]),
            "company": PropertyValue("ACME", dependencies={"urn:a"}),  # an output value
            "city": PropertyValue("Milano", is_secret=True, dependencies={"urn:b"}),
            "webmailTimezone": PropertyValue(UNKNOWN),
            "telephone": PropertyValue(None),  # null is "not given"
            "nickname": PropertyValue(True),
        }
    )
    decoded = wire.decode(sent)
    assert decoded.values == {
        "antispam_level": 3.0,
        "allow_nets": ["192.0.2.0/24"],
        "company": "ACME",
        "city": "Milano",
        "webmail_timezone": decoded.values["webmail_timezone"],
    }
    assert type(decoded.values["webmail_timezone"]).__name__ == "Unknown"
    assert decoded.secret == {"allow_nets", "city"} and decoded.strangers == ("nickname",)

    values = {"antispam_level": 3, "force_otp": True, "allow_nets": ["192.0.2.0/24"],
              "city": "Milano", "postmaster_password": "s3cret-Pass", "plan": None}  # fmt: skip
    back = PropertyValue.unmarshal_map(wire.encode(values, {"city"}))
    assert back == {
        "antispamLevel": PropertyValue(3.0),
        "forceOtp": PropertyValue(True),
        "allowNets": PropertyValue([PropertyValue("192.0.2.0/24")]),
        "city": PropertyValue("Milano", is_secret=True),
        "postmasterPassword": PropertyValue("s3cret-Pass", is_secret=True),
        "plan": PropertyValue(None),
    }
