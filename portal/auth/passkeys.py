"""py_webauthn wrapped for this app: options out as JSON, responses in as JSON, the challenge kept by the caller
(in the session) and used once."""

from __future__ import annotations

import json
from dataclasses import dataclass

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.settings import Settings


class PasskeyError(ValueError):
    pass


@dataclass(frozen=True)
class NewPasskey:
    credential_id: bytes
    public_key: bytes
    sign_count: int
    aaguid: str
    backed_up: bool
    transports: list[str]


def registration_options(
    settings: Settings, *, user_handle: bytes, user_name: str, display_name: str, existing: list[bytes]
) -> tuple[str, bytes]:
    options = generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=settings.utility_name,
        user_id=user_handle,
        user_name=user_name,
        user_display_name=display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in existing],
    )
    return options_to_json(options), options.challenge


def verify_registration(settings: Settings, credential: dict, challenge: bytes) -> NewPasskey:
    if not isinstance(credential, dict):
        raise PasskeyError("malformed credential")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, ValueError, TypeError) as exc:  # a malformed credential is a failed one
        raise PasskeyError(str(exc)) from exc
    transports = credential.get("response", {}).get("transports") or []
    return NewPasskey(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=str(verified.aaguid),
        backed_up=verified.credential_backed_up,
        transports=[str(t) for t in transports][:8],
    )


def authentication_options(settings: Settings, allow: list[bytes] | None = None) -> tuple[str, bytes]:
    # No allow list at sign-in: the browser offers the discoverable credentials it holds for this site (no username
    # typed). Re-authenticating a known person (leaving kiosk mode) lists that person's passkeys only.
    options = generate_authentication_options(
        rp_id=settings.rp_id,
        user_verification=UserVerificationRequirement.REQUIRED,
        allow_credentials=[PublicKeyCredentialDescriptor(id=cid) for cid in allow or []] or None,
    )
    return options_to_json(options), options.challenge


def credential_id_of(credential: dict) -> bytes:
    try:
        return base64url_to_bytes(credential["rawId"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PasskeyError("malformed credential") from exc


def verify_authentication(
    settings: Settings, credential: dict, challenge: bytes, *, public_key: bytes, sign_count: int
) -> int:
    """Check the assertion; answer the authenticator's new sign count."""
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.rp_id,
            expected_origin=settings.origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, KeyError, ValueError, TypeError) as exc:
        raise PasskeyError(str(exc)) from exc
    return verified.new_sign_count


def parse(body: bytes | str) -> dict:
    try:
        data = json.loads(body)
    except (ValueError, TypeError) as exc:
        raise PasskeyError("malformed JSON") from exc
    if not isinstance(data, dict):
        raise PasskeyError("malformed credential")
    return data
